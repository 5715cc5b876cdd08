import type { IncomingHttpHeaders } from 'node:http';
import { ConfigError } from '@mcproxy/core';

// Names that always mean "this machine". A page on another name that rebinds
// its DNS to 127.0.0.1 still sends its own name in Host and Origin.
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

// Binding to every interface names no host a client would ever send.
const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '']);

export interface HostGuardOptions {
  /** The interface the server listens on; a named bind is allowed besides the loopback names. */
  bindHost: string;
  /** Host names (port optional) that replace the defaults; `['*']` turns the Host check off. */
  allowedHosts?: readonly string[] | undefined;
  /** Origins (`scheme://host[:port]`, or `null`) that replace the host rule for Origin; `['*']` allows any. */
  allowedOrigins?: readonly string[] | undefined;
  /** Origins CORS lets in (`serve.http.cors.origins`): accepted besides whatever the rule above accepts. */
  corsOrigins?: readonly string[] | undefined;
}

/** Returns why a request must be refused, or undefined when it may go on. */
export type HostGuard = (headers: IncomingHttpHeaders) => string | undefined;

interface HostName {
  name: string;
  port: string | undefined;
}

/**
 * Splits a Host value into lower-cased name and port. Anything a browser
 * would not send as Host (user info, paths, spaces) is refused rather than
 * normalised, so `evil.example@localhost` can never pass as `localhost`.
 */
export function parseHost(value: string): HostName | undefined {
  const v = value.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/.exec(v);
  if (m === null || m[1] === undefined) return undefined;
  return { name: m[1], port: m[2] };
}

/** `::1` → `[::1]`: IPv6 addresses are bracketed in Host headers and URLs; `name:port` is left alone. */
export function bracketed(host: string): string {
  return host.indexOf(':') !== host.lastIndexOf(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function hostRule(bindHost: string, allowedHosts: readonly string[] | undefined): ((h: HostName) => boolean) | undefined {
  if (allowedHosts?.includes('*')) return undefined;
  const entries = allowedHosts ?? [...LOOPBACK_NAMES, ...(WILDCARD_BINDS.has(bindHost) ? [] : [bracketed(bindHost)])];
  const allowed = entries.map((entry) => {
    const parsed = parseHost(bracketed(entry));
    if (parsed === undefined) throw new ConfigError(`allowedHosts: "${entry}" is not a host name (with an optional port)`);
    return parsed;
  });
  // An entry without a port allows any port: clients differ on whether they
  // send default ports, and the attack changes the name, not the port.
  return (h) => allowed.some((a) => a.name === h.name && (a.port === undefined || a.port === h.port));
}

function originRule(
  allowedOrigins: readonly string[] | undefined,
  hostAllowed: ((h: HostName) => boolean) | undefined,
): ((origin: string) => boolean) | undefined {
  if (allowedOrigins?.includes('*')) return undefined;
  if (allowedOrigins !== undefined) {
    const allowed = new Set(
      allowedOrigins.map((entry) => {
        if (entry === 'null') return 'null';
        try {
          return new URL(entry).origin;
        } catch {
          throw new ConfigError(`allowedOrigins: "${entry}" is not an origin such as http://localhost:3000`);
        }
      }),
    );
    return (origin) => allowed.has(origin === 'null' ? 'null' : (safeOrigin(origin) ?? ''));
  }
  if (hostAllowed === undefined) return undefined;
  return (origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const h = parseHost(url.host);
    return h !== undefined && hostAllowed(h);
  };
}

function safeOrigin(origin: string): string | undefined {
  try {
    return new URL(origin).origin;
  } catch {
    return undefined;
  }
}

/**
 * Builds the DNS-rebinding check for one server: `Host` must name this
 * machine (the loopback names, or the host the server was bound to) unless
 * `allowedHosts` says otherwise, and an `Origin`, when a browser sends one,
 * must pass the same rule unless `allowedOrigins` says otherwise. Bad
 * entries in either list throw a `ConfigError` here, once.
 *
 * @example
 * const guard = createHostGuard({ bindHost: '127.0.0.1' });
 * guard({ host: 'evil.example:8080' }); // → 'Host not allowed: evil.example:8080'
 */
export function createHostGuard(options: HostGuardOptions): HostGuard {
  const hostAllowed = hostRule(options.bindHost, options.allowedHosts);
  const base = originRule(options.allowedOrigins, hostAllowed);
  const corsAny = options.corsOrigins?.includes('*') === true;
  const cors = options.corsOrigins === undefined || corsAny ? undefined : originRule(options.corsOrigins, undefined);
  const originAllowed = base === undefined || corsAny ? undefined : cors === undefined ? base : (o: string) => base(o) || cors(o);
  return function checkHostAndOrigin(headers) {
    if (hostAllowed !== undefined) {
      const host = headers.host;
      if (host === undefined || host === '') return 'Host header missing';
      const parsed = parseHost(host);
      if (parsed === undefined || !hostAllowed(parsed)) return `Host not allowed: ${host}`;
    }
    const origin = headers.origin;
    // Only browsers send Origin, and browsers are what rebinding abuses.
    if (origin !== undefined && originAllowed !== undefined && !originAllowed(origin)) {
      return `Origin not allowed: ${origin}`;
    }
    return undefined;
  };
}
