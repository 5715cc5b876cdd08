import { afterEach, describe, expect, it } from 'vitest';
import { startFixtureHttpServer, startModernFixtureHttpServer, Teardown, until, type FixtureHttpServer } from '@mcproxy/testing';
import { attr, httpClient, otlpReceiver, parseMetrics, startProxy } from '../kit/observability-kit.js';

const t = new Teardown();
afterEach(() => t.run());

async function fixture(port = 0): Promise<FixtureHttpServer> {
  const f = await startFixtureHttpServer({ port });
  t.add(() => f.close());
  return f;
}

const get = async (url: string): Promise<{ status: number; body: string }> => {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
};

describe('the admin listener', () => {
  it('answers /healthz, /health/servers and /metrics with counts that match known traffic', async () => {
    const upstream = await fixture();
    const proxy = await startProxy({ upstreams: { fx: { url: upstream.url } }, admin: { port: 0, probeIntervalMs: 200 } });
    t.add(() => proxy.close());
    expect(await get(`${proxy.adminUrl}/healthz`)).toMatchObject({ status: 200 });

    const client = await httpClient(proxy.url!);
    t.add(() => client.close());
    await client.listTools();
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'test_simple_text', arguments: {} });
    const failed = await client.callTool({ name: 'test_error_handling', arguments: {} });
    expect(failed.isError).toBe(true);
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).resolves.toMatchObject({ isError: true });

    await until(async () => JSON.parse((await get(`${proxy.adminUrl}/health/servers`)).body).upstreams[0].state === 'up', 'the upstream is up');
    const servers = JSON.parse((await get(`${proxy.adminUrl}/health/servers`)).body) as { upstreams: Array<Record<string, unknown>> };
    expect(servers.upstreams).toEqual([
      expect.objectContaining({
        route: '/mcp',
        name: 'fx',
        state: 'up',
        restarts: 0,
        lastError: null,
        sessions: 1,
        era: 'legacy',
        required: false,
        latencyMs: expect.any(Number),
      }),
    ]);

    const scrape = await get(`${proxy.adminUrl}/metrics`);
    expect(scrape.status).toBe(200);
    const m = parseMetrics(scrape.body);
    expect(m.get('mcproxy_requests_total{route="/mcp",method="tools/call",upstream="fx",outcome="ok"}')).toBe(3);
    // The SDK server answers an unknown tool with isError too: both failures are tool errors.
    expect(m.get('mcproxy_requests_total{route="/mcp",method="tools/call",upstream="fx",outcome="tool_error"}')).toBe(2);
    expect(m.get('mcproxy_requests_total{route="/mcp",method="tools/list",upstream="fx",outcome="ok"}')).toBe(1);
    expect(m.get('mcproxy_request_duration_seconds_count{route="/mcp",method="tools/call",upstream="fx"}')).toBe(5);
    expect(m.get('mcproxy_upstream_requests_total{route="/mcp",method="tools/call",upstream="fx",outcome="ok"}')).toBe(3);
    expect(m.get('mcproxy_inflight_requests{route="/mcp"}')).toBe(0);
    expect(m.get('mcproxy_sessions{route="/mcp"}')).toBe(1);
    expect(m.get('mcproxy_upstream_up{route="/mcp",upstream="fx"}')).toBe(1);
    expect(m.get('mcproxy_upstream_restarts_total{route="/mcp",upstream="fx"}')).toBe(0);
    expect(m.get('mcproxy_received_bytes_total{face="http"}')).toBeGreaterThan(500);
    expect(m.get('mcproxy_sent_bytes_total{face="http"}')).toBeGreaterThan(500);
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
    // Bounded labels: no session id, no tool name (not configured).
    expect(scrape.body).not.toMatch(/test_simple_text|mcp-session|session_id/);

    proxy.observability.authFailure('expired');
    proxy.observability.authFailure('a token nobody should see');
    const after = parseMetrics((await get(`${proxy.adminUrl}/metrics`)).body);
    expect(after.get('mcproxy_auth_failures_total{reason="expired"}')).toBe(1);
    expect(after.get('mcproxy_auth_failures_total{reason="other"}')).toBe(1);

    expect((await get(`${proxy.adminUrl}/nothing`)).status).toBe(404);
    expect((await fetch(`${proxy.adminUrl}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('counts tool names only when configured, and at most as many as allowed', async () => {
    const upstream = await fixture();
    const proxy = await startProxy({ upstreams: { fx: { url: upstream.url } }, admin: { port: 0, toolLabels: 1 } });
    t.add(() => proxy.close());
    const client = await httpClient(proxy.url!);
    t.add(() => client.close());
    await client.callTool({ name: 'test_simple_text', arguments: {} });
    await client.callTool({ name: 'test_error_handling', arguments: {} });
    const m = parseMetrics((await get(`${proxy.adminUrl}/metrics`)).body);
    expect(m.get('mcproxy_tool_calls_total{route="/mcp",tool="test_simple_text",upstream="fx",outcome="ok"}')).toBe(1);
    expect(m.get('mcproxy_tool_calls_total{route="/mcp",tool="other",upstream="fx",outcome="tool_error"}')).toBe(1);
  });

  it('is not ready while a required upstream is down, and ready again when it is back', async () => {
    const first = await fixture();
    const port = first.port;
    const proxy = await startProxy({
      upstreams: { needed: { url: first.url, required: true, mode: 'shared' }, optional: { url: 'http://127.0.0.1:9/mcp' } },
      admin: { port: 0, probeIntervalMs: 100 },
      supervision: { initialDelayMs: 50, maxDelayMs: 100 },
    });
    t.add(() => proxy.close());
    const readyz = () => get(`${proxy.adminUrl}/readyz`);
    // The optional upstream never answers; readiness does not wait for it.
    await until(async () => (await readyz()).status === 200, 'ready with the required upstream up');

    await first.close();
    const down = await until(async () => {
      const r = await readyz();
      return r.status === 503 ? r : undefined;
    }, 'not ready once the required upstream is gone');
    expect(JSON.parse(down.body)).toMatchObject({ status: 'not ready', reason: expect.stringContaining('required upstream "needed" is') });
    const servers = JSON.parse((await get(`${proxy.adminUrl}/health/servers`)).body) as { upstreams: Array<{ name: string; state: string }> };
    expect(servers.upstreams.find((u) => u.name === 'needed')?.state).toMatch(/down|backing-off/);
    expect(parseMetrics((await get(`${proxy.adminUrl}/metrics`)).body).get('mcproxy_upstream_up{route="/mcp",upstream="needed"}')).toBe(0);

    await fixture(port);
    await until(async () => (await readyz()).status === 200, 'ready again once the required upstream is back', 10_000);
    const m = parseMetrics((await get(`${proxy.adminUrl}/metrics`)).body);
    expect(m.get('mcproxy_upstream_up{route="/mcp",upstream="needed"}')).toBe(1);
    expect(m.get('mcproxy_upstream_restarts_total{route="/mcp",upstream="needed"}')).toBeGreaterThanOrEqual(1);
  });
});

describe('probes', () => {
  it('probes a 2026-07-28 upstream with server/discover and a 2025 one with ping, and says which era each is', async () => {
    const legacy = await fixture();
    const modern = await startModernFixtureHttpServer();
    t.add(() => modern.close());
    const proxy = await startProxy({
      upstreams: { old: { url: legacy.url }, new: { url: modern.url, protocol: '2026-07-28', required: true } },
      admin: { port: 0, probeIntervalMs: 100 },
    });
    t.add(() => proxy.close());
    const servers = await until(async () => {
      const list = JSON.parse((await get(`${proxy.adminUrl}/health/servers`)).body).upstreams as Array<{ name: string; state: string; era: string }>;
      return list.every((u) => u.state === 'up') ? list : undefined;
    }, 'both upstreams up');
    expect(servers.map((u) => [u.name, u.era])).toEqual([
      ['old', 'legacy'],
      ['new', 'modern'],
    ]);
    expect((await get(`${proxy.adminUrl}/readyz`)).status).toBe(200);
  });
});

describe('tracing', () => {
  it('makes one trace of a call through two proxies, from the client traceparent header or _meta to the upstream', async () => {
    const receiver = await otlpReceiver();
    t.add(() => receiver.close());
    const upstream = await fixture();
    const second = await startProxy({
      upstreams: { fx: { url: upstream.url } },
      admin: { port: 0 },
      tracing: { endpoint: receiver.url, serviceName: 'second' },
      chain: { id: 'second' },
    });
    const first = await startProxy({
      upstreams: { next: { url: second.url! } },
      tracing: { endpoint: receiver.url, serviceName: 'first' },
      admin: { port: 0 },
      chain: { id: 'first' },
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const client = await httpClient(first.url!, { traceparent: `00-${traceId}-${callerSpan}-01` });
    await client.callTool({ name: 'test_simple_text', arguments: {} });
    // The same through _meta alone, as the MCP spec's conventions put it (no header on this client).
    const metaTrace = '0af7651916cd43dd8448eb211c80319c';
    const plain = await httpClient(first.url!);
    await plain.callTool({ name: 'test_error_handling', arguments: {}, _meta: { traceparent: `00-${metaTrace}-b7ad6b7169203331-01` } });
    await plain.close();
    await client.close();
    // Closing flushes the batched spans.
    await first.close();
    await second.close();

    const calls = receiver.spans.filter((s) => s.name === 'tools/call test_simple_text');
    expect(calls.map((s) => `${s.service}:${s.kind}`).sort()).toEqual(['first:2', 'first:3', 'second:2', 'second:3']); // 2 server, 3 client
    expect(new Set(calls.map((s) => s.traceId))).toEqual(new Set([traceId]));
    const find = (service: string, kind: number) => calls.find((s) => s.service === service && s.kind === kind)!;
    expect(find('first', 2).parentSpanId).toBe(callerSpan);
    expect(find('first', 3).parentSpanId).toBe(find('first', 2).spanId);
    expect(find('second', 2).parentSpanId).toBe(find('first', 3).spanId);
    expect(find('second', 3).parentSpanId).toBe(find('second', 2).spanId);
    for (const s of calls) {
      expect(attr(s, 'mcp.method.name')).toBe('tools/call');
      expect(attr(s, 'gen_ai.tool.name')).toBe('test_simple_text');
      expect(attr(s, 'mcproxy.outcome')).toBe('ok');
    }
    expect(attr(find('first', 3), 'mcproxy.upstream')).toBe('next');
    const viaMeta = receiver.spans.filter((s) => s.name === 'tools/call test_error_handling');
    expect(viaMeta).toHaveLength(4);
    expect(new Set(viaMeta.map((s) => s.traceId))).toEqual(new Set([metaTrace]));
    expect(viaMeta.find((s) => s.service === 'first' && s.kind === 2)?.parentSpanId).toBe('b7ad6b7169203331');
    expect(viaMeta.map((s) => attr(s, 'mcproxy.outcome'))).toEqual(['tool_error', 'tool_error', 'tool_error', 'tool_error']);
    expect(attr(find('second', 3), 'mcproxy.upstream')).toBe('fx');
  });
});
