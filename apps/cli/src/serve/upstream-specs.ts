import { resolve } from 'node:path';
import { bindOnce, type LimitReporter, type Limits, type Logger, type UpstreamSpec } from '@mcproxy/core';
import { stdioUpstream } from '@mcproxy/transport-stdio';
import { urlUpstream } from '@mcproxy/transport-sse';
import type { Pipeline } from '../config/schema.js';

/** What every transport and proxy is given, so that limits are the same everywhere and hits are counted once. */
export interface Bounds {
  limits: Limits;
  limitReporter: LimitReporter;
}

/** How core reaches each upstream of `pipeline`: a child process per link for a command, a client for a URL. */
export function specs(pipeline: Pipeline, log: Logger, bounds: Bounds): UpstreamSpec[] {
  return Object.entries(pipeline.upstreams).map(([name, u]) => {
    if ('command' in u) {
      const connect = stdioUpstream({
        name,
        command: u.command,
        args: u.args,
        env: u.env,
        inheritEnv: u.inheritEnv,
        ...(u.cwd ? { cwd: resolve(pipeline.baseDir, u.cwd) } : {}),
        log,
        ...bounds,
      });
      // Per session, or (shared, with authentication) per principal: either way, one process each.
      return { name, mode: u.mode, protocol: u.protocol, connect, maxLinks: bounds.limits.perSessionChildren };
    }
    const connect = urlUpstream({ url: u.url, headers: u.headers, transport: u.transport, log: bindOnce(log, { upstream: name }), ...bounds });
    return { name, mode: u.mode, protocol: u.protocol, connect };
  });
}
