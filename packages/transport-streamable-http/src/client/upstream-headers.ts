import type { OutgoingHttpHeaders } from 'node:http';
import { hopsOf, type Message, type Params } from '@mcproxy/core';
import { HOPS_HEADER, hopsHeader } from '../http/hops.js';
import { traceHeaders } from '../http/trace-context.js';

const POST_ACCEPT = 'application/json, text/event-stream';

/**
 * The headers of one upstream link: the configured ones (names in lower
 * case, so `Accept` in the config cannot make a second `accept`), then
 * `mcp-session-id` once the upstream gave one and `mcp-protocol-version`
 * once `initialize` was answered. Kept as ready objects, rebuilt only when
 * the session or version changes, so a POST costs one small copy.
 */
export class UpstreamHeaders {
  private sessionIdValue: string | undefined;
  private protocolVersionValue: string | undefined;
  private readonly configured: Record<string, string> = {};
  private common: Record<string, string> = {};
  private post: Record<string, string> = {};

  constructor(configured: Record<string, string>) {
    for (const [name, value] of Object.entries(configured)) this.configured[name.toLowerCase()] = value;
    this.rebuild();
  }

  get sessionId(): string | undefined {
    return this.sessionIdValue;
  }

  set sessionId(id: string | undefined) {
    if (id === this.sessionIdValue) return;
    this.sessionIdValue = id;
    this.rebuild();
  }

  get protocolVersion(): string | undefined {
    return this.protocolVersionValue;
  }

  set protocolVersion(version: string | undefined) {
    if (version === this.protocolVersionValue) return;
    this.protocolVersionValue = version;
    this.rebuild();
  }

  /** For POSTing `message`, with its hop list as `Mcproxy-Hops` (read from `_meta`, where core put it). */
  forPost(message: Message): OutgoingHttpHeaders {
    const value = 'method' in message && message.params !== undefined ? hopsHeader(hopsOf(message.params)) : undefined;
    const headers = value === undefined ? this.post : { ...this.post, [HOPS_HEADER]: value };
    return hasTrace(message) ? traceHeaders(message, headers === this.post ? { ...headers } : headers) : headers;
  }

  /**
   * For POSTing a 2026-07-28 message: the configured headers, then the
   * revision's own (`mcp-protocol-version` from the message's envelope and
   * `extra`: `mcp-method`, `mcp-name`, `mcp-param-*`), and the hop list;
   * never a session id, which that revision does not have.
   */
  forModern(message: Message, version: string, extra: Record<string, string>): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = {
      ...this.configured,
      ...extra,
      'content-type': 'application/json',
      accept: POST_ACCEPT,
      'mcp-protocol-version': version,
    };
    delete headers['mcp-session-id'];
    const hops = 'method' in message && message.params !== undefined ? hopsHeader(hopsOf(message.params)) : undefined;
    if (hops !== undefined) headers[HOPS_HEADER] = hops;
    return traceHeaders(message, headers);
  }

  /** For opening (or, with `lastEventId`, resuming) an event stream. */
  forGet(lastEventId: string | undefined): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { ...this.common, accept: 'text/event-stream' };
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    return headers;
  }

  forDelete(): OutgoingHttpHeaders {
    return this.common;
  }

  private rebuild(): void {
    const common: Record<string, string> = { ...this.configured };
    if (this.sessionIdValue !== undefined) common['mcp-session-id'] = this.sessionIdValue;
    if (this.protocolVersionValue !== undefined) common['mcp-protocol-version'] = this.protocolVersionValue;
    this.common = common;
    this.post = { ...common, 'content-type': 'application/json', accept: POST_ACCEPT };
  }
}

/** Whether a message carries trace context in `_meta` (most do not: their headers are then shared, not copied). */
const hasTrace = (message: Message): boolean => {
  const meta = 'method' in message ? (message.params?._meta as Params | undefined) : undefined;
  return meta !== undefined && 'traceparent' in meta;
};
