import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Wire } from '@mcproxy/large-json';
import { Agent as HttpsAgent, type AgentOptions, type RequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { H2RequestError, H2Sessions } from './h2-sessions.js';
import type { Abort } from '@mcproxy/core';

/**
 * How a link speaks to its upstream: `auto` (the default) HTTP/2 when an
 * https upstream picks `h2` by ALPN, else HTTP/1.1 (and HTTP/1.1 for
 * http); `prior-knowledge` HTTP/2 from the first byte (h2c for an http
 * URL, for upstreams behind a service mesh; `h2` only, over TLS); `false`
 * HTTP/1.1 only.
 */
export type Http2Mode = 'auto' | 'prior-knowledge' | false;

/**
 * An https agent that hands its next connection a socket made elsewhere:
 * the one whose ALPN answer said HTTP/1.1, so finding out costs no second
 * handshake.
 */
export class SpareAgent extends HttpsAgent {
  spare: Socket | undefined;

  constructor(options: AgentOptions) {
    super(options);
  }

  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const spare = this.spare;
    this.spare = undefined;
    if (spare !== undefined && !spare.destroyed) return spare;
    return super.createConnection(options, callback);
  }
}

/**
 * The HTTP/2 side of one `HttpClient`: whether a request goes out on HTTP/2
 * (decided once per link: by ALPN on its first connection, or by prior
 * knowledge) and the connections it goes out on. A link whose first
 * connection chose HTTP/1.1 hands that socket to its HTTP/1.1 agent.
 */
export class H2Link {
  private protocol: 'h1' | 'h2' | undefined;
  private deciding: Promise<'h1' | 'h2'> | undefined;
  /** The connection asking by ALPN, while it asks. */
  private asking: TLSSocket | undefined;
  private readonly sessions: H2Sessions;

  constructor(
    private readonly url: URL,
    mode: 'auto' | 'prior-knowledge',
    private readonly agent: SpareAgent | undefined,
    maxSessions: number,
    private readonly ca?: string | Buffer,
  ) {
    // Only https can ask by ALPN; cleartext HTTP/2 is prior knowledge or nothing.
    this.protocol = mode === 'prior-knowledge' ? 'h2' : url.protocol === 'https:' ? undefined : 'h1';
    this.sessions = new H2Sessions(url.origin, ca === undefined ? {} : { ca }, maxSessions);
  }

  set maxSessions(value: number) {
    this.sessions.maxSessions = value;
  }

  /** Which protocol the next request takes: at once when it is known, else after the first connection's ALPN answer. */
  route(): 'h1' | 'h2' | Promise<'h1' | 'h2'> {
    if (this.protocol !== undefined) return this.protocol;
    this.deciding ??= this.negotiate().finally(() => {
      this.deciding = undefined;
    });
    return this.deciding;
  }

  request(method: string, path: string, headers: OutgoingHttpHeaders, body: Wire | undefined, signal?: Abort): Promise<IncomingMessage> {
    return this.sessions.request(method, path, headers, body, signal);
  }

  destroy(): void {
    this.asking?.destroy();
    this.agent?.spare?.destroy();
    this.sessions.destroy();
  }

  /** One TLS connection offering `h2` and `http/1.1`: what the server picks is this link's protocol, and the connection its first. */
  private negotiate(): Promise<'h1' | 'h2'> {
    const hostname = this.url.hostname.startsWith('[') ? this.url.hostname.slice(1, -1) : this.url.hostname;
    return new Promise((resolve, reject) => {
      let connected = false;
      const socket: TLSSocket = tlsConnect({
        host: hostname,
        port: Number(this.url.port || 443),
        ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
        ALPNProtocols: ['h2', 'http/1.1'],
        ...(this.ca === undefined ? {} : { ca: this.ca }),
      });
      let settled = false;
      const failed = (err: Error): void => {
        if (settled) return;
        settled = true;
        this.asking = undefined;
        reject(new H2RequestError(err, connected, 'no'));
      };
      this.asking = socket;
      socket.once('connect', () => void (connected = true));
      socket.once('error', failed);
      // Closed before the handshake ended (the link was destroyed meanwhile): the requests waiting on it fail.
      socket.once('close', () => failed(new Error('the connection closed before its TLS handshake ended')));
      socket.once('secureConnect', () => {
        if (settled) return;
        settled = true;
        socket.off('error', failed);
        this.asking = undefined;
        if (socket.alpnProtocol === 'h2') {
          this.protocol = 'h2';
          this.sessions.adopt(socket);
        } else {
          this.protocol = 'h1';
          socket.on('error', () => undefined);
          if (this.agent !== undefined) this.agent.spare = socket;
          else socket.destroy();
        }
        resolve(this.protocol);
      });
    });
  }
}
