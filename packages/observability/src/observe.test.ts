import { compose, silentLogger, type Context, type Middleware } from '@mcproxy/core';
import { describe, expect, it } from 'vitest';
import type { Metrics } from './metrics.js';
import { observeRequests, observeUpstreamCalls } from './observe.js';

/** A metrics stand-in that keeps the `upstream` label of each client request. */
function recording(): { metrics: Metrics; labels: Array<[string, string]> } {
  const labels: Array<[string, string]> = [];
  const gauge = { inc: () => {}, dec: () => {} };
  const metrics = {
    inflightOf: () => gauge,
    request: (_route: string, method: string, upstream: string) => labels.push([method, upstream]),
    upstreamCall: () => {},
    toolCalls: undefined,
  } as unknown as Metrics;
  return { metrics, labels };
}

/** What aggregate does with these methods: one branch per upstream, a reply of its own. */
const fanOut: Middleware = async function fanOut(_ctx, next) {
  await Promise.all(['a', 'b'].map((upstream) => next({ upstream })));
  return { result: {} };
};

const request = (method: string): Context =>
  ({
    kind: 'request',
    direction: 'upstream',
    message: { jsonrpc: '2.0', method, params: {} },
    upstream: undefined,
    upstreams: ['a', 'b'],
    client: undefined,
    signal: new AbortController().signal,
    log: silentLogger,
    session: { id: 's' },
  }) as unknown as Context;

describe('the upstream label of client requests', () => {
  it('is proxy for the handshake the proxy answers itself from several upstreams, several for a list, as docs/observability.md says', async () => {
    const { metrics, labels } = recording();
    const run = compose([observeRequests({ metrics }), fanOut, observeUpstreamCalls({ metrics })], async () => ({ result: {} }));
    for (const method of ['initialize', 'server/discover', 'tools/list']) await run(request(method));
    expect(labels).toEqual([
      ['initialize', 'proxy'],
      ['server/discover', 'proxy'],
      ['tools/list', 'several'],
    ]);
  });
});
