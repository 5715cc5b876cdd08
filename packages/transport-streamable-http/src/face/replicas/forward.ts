import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** The header that marks a request one replica sends another, with the token that proves it. */
export const FORWARDED_HEADER = 'x-mcproxy-forwarded';
/** On a 503: the replica does not hold the session and executed nothing; the sender may look again. */
export const NOT_HERE_HEADER = 'x-mcproxy-not-here';

/**
 * What became of a forward: `answered` (the owner's answer, whatever it is,
 * went to the client), `not-here` (the owner no longer holds the session
 * and did nothing: safe to send again), `unreachable` (no connection: the
 * request never left, safe to send elsewhere), `failed` (the connection
 * broke after the request went: it may have run, so it is never sent again).
 */
export type ForwardOutcome = 'answered' | 'not-here' | 'unreachable' | 'failed';

// Hop-by-hop headers (RFC 9110 7.6.1) stay on their hop.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', FORWARDED_HEADER]);

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 256 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }) };

/**
 * Sends the client's request to the replica that holds its session and
 * streams the answer back as it comes (a JSON body or an SSE stream, kept
 * open for as long as the client keeps it). The body is the bytes the
 * client sent (already read and bounded). The client's own `Host` goes
 * along, so the owner's Host check sees what this replica's saw.
 */
export function forwardTo(
  owner: string,
  req: IncomingMessage,
  res: ServerResponse,
  raw: Buffer[] | undefined,
  token: string,
  connectMs: number,
): Promise<ForwardOutcome> {
  const target = new URL(req.url ?? '/', owner);
  const headers: OutgoingHttpHeaders = { [FORWARDED_HEADER]: token, host: req.headers.host ?? target.host };
  // HTTP/2's pseudo-headers (`:path`, …) are no HTTP/1.1 header; its `:authority` is in `host` already (H2Request).
  for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name) && name[0] !== ':' && value !== undefined) headers[name] = value;
  if (raw !== undefined) headers['content-length'] = raw.reduce((n, c) => n + c.length, 0);
  const https = target.protocol === 'https:';
  return new Promise<ForwardOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: ForwardOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const out = (https ? httpsRequest : httpRequest)(target, { method: req.method, headers, agent: https ? agents.https : agents.http });
    let sent = false;
    const connect = setTimeout(() => out.destroy(new Error('no connection in time')), connectMs);
    out.once('socket', (socket) => {
      if (!socket.connecting) {
        clearTimeout(connect);
        sent = true;
      } else
        socket.once('connect', () => {
          clearTimeout(connect);
          sent = true;
        });
    });
    out.once('error', () => {
      clearTimeout(connect);
      settle(sent ? 'failed' : 'unreachable');
    });
    out.once('response', (answer) => {
      if (answer.statusCode === 503 && answer.headers[NOT_HERE_HEADER] !== undefined) {
        answer.resume();
        return settle('not-here');
      }
      const back: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) if (!HOP.has(name) && value !== undefined) back[name] = value;
      res.writeHead(answer.statusCode ?? 502, back);
      if (typeof res.flushHeaders === 'function') res.flushHeaders();
      answer.pipe(res);
      // The client left: the owner sees its stream close as the client's own would.
      res.once('close', () => answer.destroy());
      answer.once('error', () => res.destroy());
      settle('answered');
    });
    for (const chunk of raw ?? []) out.write(chunk);
    out.end();
  });
}
