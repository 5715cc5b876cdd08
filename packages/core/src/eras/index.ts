/**
 * The seam between core and the eras of MCP. Files outside `eras/` import
 * from here and nowhere else in it (`scripts/lint.mjs` checks): the server
 * side a downstream gets, the roads to upstreams (`EraRoads`, the one place
 * that chooses an upstream's era and bridges either way), and what the
 * public API re-exports.
 */
import type { Params, Request } from '../wire/jsonrpc.js';
import type { Era } from '../chain/client-context.js';
import type { ChainHost } from '../proxy/downstream.js';
import type { ServerProtocol } from '../proxy/server-side.js';
import type { Session } from '../proxy/session.js';
import { clientOfHello, LegacyServer } from './legacy/server.js';
import { eraOfFirst, ModernServer } from './modern/server.js';

export { EraRoads, type RoadHost } from './roads.js';
export { ParkedCalls } from './bridge/bridge-parked.js';
export { openProbeSession, PROBE_SESSION_ID, probeUpstream, type ProbeResult } from './probe.js';
export { clientOfHello, eraOfFirst };

/** The server side of `session` in `era`. */
export function serverSide(era: Era, session: Session, host: ChainHost, serverInfo: Params): ServerProtocol {
  return era === 'modern' ? new ModernServer(session, serverInfo) : new LegacyServer(session, host);
}

/** The server side for a session whose era its first request tells (stdio). */
export function serverSideOf(first: Request, session: Session, host: ChainHost, serverInfo: Params): ServerProtocol {
  return serverSide(eraOfFirst(first), session, host, serverInfo);
}
