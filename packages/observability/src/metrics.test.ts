import { LimitReporter, silentLogger } from '@mcproxy/core';
import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';
import type { UpstreamBoard } from './upstreams.js';

describe('token requests toward upstreams', () => {
  it('counts them by upstream, grant and outcome, folding anything unknown so labels stay bounded', async () => {
    const metrics = new Metrics({ limitReporter: new LimitReporter(silentLogger), upstreams: { routes: [] } as unknown as UpstreamBoard, toolLabels: false });
    metrics.tokenRequest({ upstream: 'internal', grant: 'client_credentials', outcome: 'ok' });
    metrics.tokenRequest({ upstream: 'internal', grant: 'client_credentials', outcome: 'ok' });
    metrics.tokenRequest({ upstream: 'github', grant: 'refresh_token', outcome: 'error' });
    metrics.tokenRequest({ upstream: 'github', grant: 'eyJhbGciOi.secret', outcome: 'weird' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('mcproxy_upstream_token_requests_total{upstream="internal",grant="client_credentials",outcome="ok"} 2');
    expect(text).toContain('mcproxy_upstream_token_requests_total{upstream="github",grant="refresh_token",outcome="error"} 1');
    expect(text).toContain('mcproxy_upstream_token_requests_total{upstream="github",grant="other",outcome="error"} 1');
    expect(text).not.toContain('eyJhbGciOi');
  });
});
