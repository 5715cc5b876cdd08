import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startModernFixtureHttpServer, type ModernFixtureHttpServer } from './http-server.js';
import { MODERN_REVISION, postModern } from './wire.js';

/** A POST with a forged Host and Origin (fetch will not send a custom Host). */
function forgedPost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { host, origin: `http://${host}`, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

let fixture: ModernFixtureHttpServer;
beforeEach(async () => {
  fixture = await startModernFixtureHttpServer();
});
afterEach(async () => {
  await fixture.close();
});

describe('modern fixture over HTTP', () => {
  it('answers server/discover with the revision, capabilities and its identity in _meta', async () => {
    const { status, message } = await postModern(fixture.url, 'server/discover');
    expect(status).toBe(200);
    expect(message?.result?.supportedVersions).toContain(MODERN_REVISION);
    expect(message?.result?.capabilities).toMatchObject({ tools: { listChanged: true }, prompts: {}, resources: {} });
    expect(message?.result?._meta).toMatchObject({ 'io.modelcontextprotocol/serverInfo': { name: 'mcproxy-modern-fixture' } });
  });

  it('lists every scenario tool with its own caching hints', async () => {
    const { message } = await postModern(fixture.url, 'tools/list');
    const names = (message?.result?.tools as Array<{ name: string }>).map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining(['test_simple_text', 'test_missing_capability', 'test_input_required_result_tampered_state', 'test_trigger_tool_change']),
    );
    expect(message?.result).toMatchObject({ ttlMs: 30_000, cacheScope: 'public' });
    const read = await postModern(fixture.url, 'resources/read', { uri: 'test://static-text' });
    expect(read.message?.result).toMatchObject({ ttlMs: 60_000, cacheScope: 'public' });
  });

  it('asks for input, completes on a retry with inputResponses and requestState, and refuses a tampered state', async () => {
    const call = { name: 'test_input_required_result_request_state', arguments: {} };
    const first = await postModern(fixture.url, 'tools/call', call, { capabilities: { elicitation: {} } });
    expect(first.message?.result).toMatchObject({ resultType: 'input_required', inputRequests: { confirm: { method: 'elicitation/create' } } });
    const requestState = first.message?.result?.requestState;
    expect(typeof requestState).toBe('string');

    const inputResponses = { confirm: { action: 'accept', content: { ok: true } } };
    const retry = await postModern(fixture.url, 'tools/call', { ...call, inputResponses, requestState }, { id: 2 });
    expect(retry.message?.result).toMatchObject({ content: [{ type: 'text', text: expect.stringContaining('state-ok') }] });

    const tampered = await postModern(fixture.url, 'tools/call', { ...call, inputResponses, requestState: `${String(requestState)}x` }, { id: 3 });
    expect(tampered.message?.error?.code).toBe(-32602);
    expect(tampered.message?.id).toBe(3);
  });

  it('rejects a request without the envelope, and an unknown resource, with -32602', async () => {
    const bare = await fetch(fixture.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN_REVISION,
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} }),
    });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ id: 7, error: { code: -32602 } });

    const missing = await postModern(fixture.url, 'resources/read', { uri: 'test://no-such-resource' });
    expect(missing.message?.error?.code).toBe(-32602);
  });

  it('refuses a rebinding Host/Origin with 403 and serves only its path', async () => {
    expect(await forgedPost(fixture.url, 'evil.example.com')).toBe(403);
    const other = await fetch(fixture.url.replace(/\/mcp$/, '/other'), { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
  });

  it('still serves a 2025-11-25 client through initialize', async () => {
    const response = await fetch(fixture.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'legacy', version: '1' } },
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"protocolVersion":"2025-11-25"');
  });
});
