import { startFixtureHttpServer, type FixtureHttpServer } from '../fixture/http-server.js';
import { createCountingServer } from './counting-server.js';

/**
 * The counting fixture over Streamable HTTP, in this process: one MCP server
 * per upstream session, each writing to `file` with `via: session:<id>`.
 *
 * @example
 * const remote = await startCountingHttpServer({ file: join(dir, 'counts.jsonl') });
 * // upstreams: { remote: { url: remote.url } }
 */
export function startCountingHttpServer(options: { file: string; upstream?: string }): Promise<FixtureHttpServer> {
  const upstream = options.upstream ?? 'remote';
  return startFixtureHttpServer({
    createServer: () => createCountingServer({ file: options.file, upstream, via: (sessionId) => `session:${sessionId ?? '?'}` }),
  });
}
