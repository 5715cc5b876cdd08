import { randomUUID } from 'node:crypto';
import type { Channel } from './channel.js';
import { ProxyErrorCode } from './errors.js';
import type { Params } from './jsonrpc.js';
import { logId, type Logger } from './logger.js';
import { Peer } from './peer.js';
import type { ClientHello, SessionInfo } from './session-info.js';
import type { Link } from './link.js';

/**
 * One downstream connection's life: its peer (ids toward the client), what
 * the client said in `initialize`, state for middleware, and the links that
 * were opened for it alone.
 */
export class Session implements SessionInfo {
  readonly id: string;
  readonly state = new Map<symbol | string, unknown>();
  readonly peer: Peer<never>;
  /** Per-session links by upstream name, while they connect or are open. */
  readonly links = new Map<string, Promise<Link>>();
  client: ClientHello | undefined;
  readonly log: Logger;

  constructor(channel: Channel, log: Logger, id: string = randomUUID()) {
    this.id = id;
    this.log = log.child({ session: logId(id) });
    this.peer = new Peer({
      channel,
      label: `session ${id}`,
      errorData: { session: id },
      closedCode: ProxyErrorCode.SessionClosed,
      log: this.log,
    });
  }

  /** Remembers what the client said of itself; core needs it to re-open links and to check capabilities. */
  hello(params: Params | undefined): void {
    if (params === undefined) return;
    const str = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);
    const obj = (v: unknown): Params => (typeof v === 'object' && v !== null ? (v as Params) : {});
    this.client = {
      protocolVersion: str(params.protocolVersion, ''),
      capabilities: obj(params.capabilities),
      clientInfo: obj(params.clientInfo),
    };
  }

  /** Did the client declare this capability (e.g. `sampling`)? Unknown clients are given the benefit of the doubt. */
  declares(capability: string): boolean {
    return this.client === undefined || this.client.capabilities[capability] !== undefined;
  }
}
