import type { Channel, Message, Principal } from '@mcproxy/core';
import { ConfigError } from '@mcproxy/core';
import type { UpstreamCredentials } from '@mcproxy/transport-streamable-http';
import { afterEach, describe, expect, it } from 'vitest';
import { Teardown, until } from '@mcproxy/testing';
import { startSdkSseServer } from '../test/sdk-sse-server.js';
import { buildUpstream } from '../test/setup.js';
import { sseUpstream, urlUpstream } from './index.js';

const t = new Teardown();
afterEach(() => t.run());

const alice: Principal = { id: 'alice', kind: 'jwt', scopes: [], claims: {} };
const bob: Principal = { id: 'bob', kind: 'api-key', scopes: [], claims: {} };
const initialize = {
  jsonrpc: '2.0' as const,
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};

/** A token per principal and generation; `refused` moves that principal on to the next generation. */
class FakeCredentials implements UpstreamCredentials {
  generation = new Map<string, number>();
  refusals: Array<{ who: string | undefined; status: number; sent: string | undefined }> = [];
  fail: unknown;
  async authorization(principal: Principal | undefined): Promise<string | undefined> {
    if (this.fail !== undefined) throw this.fail;
    const who = principal?.id ?? 'nobody';
    return `Bearer ${who}-${this.generation.get(who) ?? 1}`;
  }
  async refused(principal: Principal | undefined, refusal: { status: 401 | 403; challenge: string | undefined; sent: string | undefined }): Promise<boolean> {
    const who = principal?.id ?? 'nobody';
    this.refusals.push({ who: principal?.id, status: refusal.status, sent: refusal.sent });
    this.generation.set(who, (this.generation.get(who) ?? 1) + 1);
    return true;
  }
}

async function server(valid: Set<string>) {
  const up = await startSdkSseServer(
    () => buildUpstream({ entered: 0, cancelled: 0, closed: 0 }),
    (auth) => valid.has(String(auth)),
  );
  t.add(() => up.close());
  return up;
}

async function open(connect: (context?: { principal?: Principal }) => Promise<Channel>, principal?: Principal) {
  const channel = await connect({ principal });
  t.add(() => channel.close());
  const got: Message[] = [];
  channel.onmessage = (m) => void got.push(m);
  await channel.start();
  return { channel, got };
}

describe('credentials toward a legacy HTTP+SSE upstream', () => {
  it("sends each link its principal's token on the GET stream and every POST, also when urlUpstream falls back to SSE", async () => {
    const up = await server(new Set(['Bearer alice-1', 'Bearer bob-1']));
    const creds = new FakeCredentials();
    const connect = urlUpstream({ url: up.url, credentials: creds });
    for (const who of [alice, bob]) {
      const { channel, got } = await open(connect, who);
      await channel.send(initialize);
      await until(() => got[0], 'the answer to initialize');
      expect(got[0]).toMatchObject({ id: 0, result: { protocolVersion: '2024-11-05' } });
    }
    const sse = up.seen.filter((s) => s.path !== '/sse' || s.method === 'GET');
    expect(sse.map((s) => `${s.method} ${s.path} ${s.authorization}`)).toEqual([
      'GET /sse Bearer alice-1',
      'POST /messages Bearer alice-1',
      'GET /sse Bearer bob-1',
      'POST /messages Bearer bob-1',
    ]);
    // The Streamable HTTP attempt that found SSE (a POST to /sse, refused 404) carried the principal's token too.
    expect(up.seen.filter((s) => s.method === 'POST' && s.path === '/sse').map((s) => s.authorization)).toEqual(['Bearer alice-1']);
  });

  it('tells the credentials of a 401 on the GET and on a POST, and sends each once more with the new token', async () => {
    const valid = new Set(['Bearer alice-2']);
    const up = await server(valid);
    const creds = new FakeCredentials();
    const { channel, got } = await open(sseUpstream({ url: up.url, credentials: creds }), alice);
    await channel.send(initialize);
    await until(() => got[0], 'the answer to initialize');
    valid.add('Bearer alice-3');
    valid.delete('Bearer alice-2');
    await channel.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await until(() => got[1], 'the tools');
    expect(got[1]).toMatchObject({ id: 1, result: { tools: expect.any(Array) } });
    expect(creds.refusals).toEqual([
      { who: 'alice', status: 401, sent: 'Bearer alice-1' },
      { who: 'alice', status: 401, sent: 'Bearer alice-2' },
    ]);
    expect(up.seen.map((s) => `${s.method} ${s.authorization} ${s.status}`)).toEqual([
      'GET Bearer alice-1 401',
      'GET Bearer alice-2 200',
      'POST Bearer alice-2 202',
      'POST Bearer alice-2 401',
      'POST Bearer alice-3 202',
    ]);
  });

  it('gives up after one retry: a GET refused twice fails to start, once', async () => {
    const up = await server(new Set());
    const creds = new FakeCredentials();
    await expect(sseUpstream({ url: up.url, credentials: creds })({ principal: bob }).then((c) => c.start())).rejects.toThrow(/401/);
    expect(up.seen.map((s) => s.authorization)).toEqual(['Bearer bob-1', 'Bearer bob-2']);
  });

  it("answers the first request with the credentials' rpcError (or -32011 for any other error), then closes the link", async () => {
    const up = await server(new Set(['Bearer alice-1']));
    const rpcError = { code: -32042, message: 'Authorization required: open http://x/start', data: { elicitations: [] } };
    for (const [fail, error] of [
      [Object.assign(new Error('consent'), { rpcError }), rpcError],
      [
        new Error('token endpoint said no'),
        { code: -32011, message: 'credentials for this upstream: token endpoint said no', data: { reason: 'credentials' } },
      ],
    ] as const) {
      const creds = new FakeCredentials();
      creds.fail = fail;
      const { channel, got } = await open(sseUpstream({ url: up.url, credentials: creds }), alice);
      let closed = false;
      channel.onclose = () => void (closed = true);
      await channel.send(initialize);
      expect(got).toEqual([{ jsonrpc: '2.0', id: 0, error }]);
      await until(() => closed || undefined, 'the link closed');
    }
    expect(up.seen).toEqual([]);
  });

  it('refuses configured Authorization headers beside credentials (ConfigError)', () => {
    for (const make of [sseUpstream, urlUpstream])
      expect(() => make({ url: 'http://127.0.0.1:1/sse', headers: { authorization: 'Bearer x' }, credentials: new FakeCredentials() })).toThrow(ConfigError);
  });
});
