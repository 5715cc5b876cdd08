import { resolve } from 'node:path';
import { createProxy, type Logger, type UpstreamSpec } from '@mcproxy/core';
import { reapChildren, serveStdio, stdioUpstream } from '@mcproxy/transport-stdio';
import { serveStreamableHttp, streamableHttpUpstream } from '@mcproxy/transport-streamable-http';
import type { Pipeline } from './config/schema.js';
import { loadMiddleware } from './middleware.js';

export interface Running {
  /** The URL of the HTTP server side, when there is one. */
  url: string | undefined;
  /** Resolves when a stdio server side's client has gone: time to exit. */
  ended: Promise<void>;
  close(): Promise<void>;
}

function specs(pipeline: Pipeline, log: Logger): UpstreamSpec[] {
  return Object.entries(pipeline.upstreams).map(([name, u]) => {
    const connect = 'command' in u
      ? stdioUpstream({ name, command: u.command, args: u.args, env: u.env, ...(u.cwd ? { cwd: resolve(pipeline.baseDir, u.cwd) } : {}), log })
      : streamableHttpUpstream({ url: u.url, headers: u.headers, log: log.child({ upstream: name }) });
    return { name, mode: u.mode, connect };
  });
}

/**
 * With several upstreams something must choose one for each request: when
 * the pipeline has no aggregate, one with its defaults goes last.
 */
function withRouting(pipeline: Pipeline, log: Logger): Pipeline['pipeline'] {
  const count = Object.keys(pipeline.upstreams).length;
  if (count < 2 || pipeline.pipeline.some((m) => m.use === 'aggregate' || m.use === '@mcproxy/mw-aggregate')) return pipeline.pipeline;
  log.info({ upstreams: count }, 'several upstreams and no aggregate in the pipeline: aggregating them with its defaults');
  return [...pipeline.pipeline, { use: 'aggregate', with: {} }];
}

/**
 * Builds the proxy a pipeline describes and starts its server sides.
 * Everything a pipeline file can do is here, importable, so the same proxy
 * can be assembled in code.
 */
export async function startPipeline(pipeline: Pipeline, log: Logger): Promise<Running> {
  const middleware = await loadMiddleware(withRouting(pipeline, log), pipeline.baseDir, log);
  const proxy = createProxy({
    upstreams: specs(pipeline, log), middleware, timeouts: pipeline.timeouts, log, id: pipeline.chain.id, maxHops: pipeline.chain.maxHops,
  });
  const closers: Array<() => Promise<void>> = [];
  let url: string | undefined;
  let ended: Promise<void> = new Promise(() => {});
  try {
    if (pipeline.serve.http) {
      const server = await serveStreamableHttp(proxy, { ...pipeline.serve.http, log: log.child({ serve: 'http' }) });
      closers.push(() => server.close());
      url = server.url;
      log.info({ url, upstreams: Object.keys(pipeline.upstreams) }, 'proxy ready');
    }
    if (pipeline.serve.stdio) {
      const server = await serveStdio(proxy, { log: log.child({ serve: 'stdio' }) });
      closers.push(() => server.close());
      ended = server.closed;
      log.info({ upstreams: Object.keys(pipeline.upstreams) }, 'serving on stdio');
    }
  } catch (err) {
    await Promise.allSettled(closers.map((c) => c()));
    throw err;
  }
  return {
    url,
    ended,
    async close() {
      await Promise.allSettled(closers.map((c) => c()));
      await proxy.close();
      await reapChildren();
    },
  };
}
