import type { ServerResponse } from 'node:http';
import { ConfigError, type Message, type Principal } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger, logText, Teardown, until } from '@mcproxy/testing';
import { json, scriptedUpstream, type Hit } from '../../test/scripted-upstream.js';
import { streamableHttpUpstream, type UpstreamChannel, type UpstreamCredentials } from '../index.js';

const t = new Teardown();
afterEach(() => t.run());

const alice: Principal = { id: 'alice', kind: 'jwt', scopes: [], claims: {} };
const bob: Principal = { id: 'bob', kind: 'jwt', scopes: [], claims: {} };
const V = '2025-11-25';
const initialize = {
  jsonrpc: '2.0' as const,
  id: 0,
  method: 'initialize',
  params: { protocolVersion: V, capabilities: {}, clientInfo: { name: 't', version: '1' } },
};
const list = (id: number) => ({ jsonrpc: '2.0' as const, id, method: 'tools/list' });
const modernList = (id: number) => ({
  jsonrpc: '2.0' as const,
  id,
  method: 'tools/list',
  params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
});

/** Credentials as a test scripts them: a token per principal and generation; `refused` moves to the next generation. */
class FakeCredentials implements UpstreamCredentials {
  generation = new Map<string, number>();
  asked = 0;
  refusals: Array<{ who: string | undefined; status: number; challenge: string | undefined; sent: string | undefined }> = [];
  fail: unknown;
  retry = true;
  async authorization(principal: Principal | undefined): Promise<string | undefined> {
    this.asked++;
    if (this.fail !== undefined) throw this.fail;
    const who = principal?.id ?? 'nobody';
    return `Bearer ${who}-${this.generation.get(who) ?? 1}`;
  }
  async refused(principal: Principal | undefined, refusal: { status: 401 | 403; challenge: string | undefined; sent: string | undefined }): Promise<boolean> {
    const who = principal?.id ?? 'nobody';
    this.refusals.push({ who: principal?.id, ...refusal });
    this.generation.set(who, (this.generation.get(who) ?? 1) + 1);
    return this.retry;
  }
}

/** A 2025-era (and 2026-07-28) upstream that takes only the tokens in `valid`, else 401 (or what `refuse` says). */
async function guarded(
  valid: Set<string>,
  refuse: (res: ServerResponse) => void = (res) => void res.writeHead(401, { 'www-authenticate': 'Bearer resource_metadata="x"' }).end(),
) {
  const up = await scriptedUpstream((hit: Hit, res) => {
    if (!valid.has(String(hit.headers.authorization))) return refuse(res);
    const body = hit.body as { id?: number; method?: string } | undefined;
    if (hit.method === 'GET') return void res.writeHead(405).end();
    if (hit.method === 'DELETE') return void res.writeHead(200).end();
    if (body?.id === undefined) return void res.writeHead(202).end();
    if (body.method === 'initialize')
      return json(
        res,
        { jsonrpc: '2.0', id: body.id, result: { protocolVersion: V, capabilities: {}, serverInfo: { name: 'g', version: '1' } } },
        { 'mcp-session-id': 's1' },
      );
    json(res, { jsonrpc: '2.0', id: body.id, result: { tools: [] } });
  });
  t.add(() => up.close());
  return up;
}

async function link(url: string, credentials: UpstreamCredentials, principal?: Principal) {
  const log = recordingLogger();
  const channel = (await streamableHttpUpstream({ url, credentials, log, closeTimeoutMs: 500 })({ principal })) as UpstreamChannel;
  t.add(() => channel.close());
  const got: Message[] = [];
  channel.onmessage = (m) => void got.push(m);
  await channel.start();
  return { channel, got, log };
}

const auths = (hits: Hit[], method?: string) => hits.filter((h) => method === undefined || h.method === method).map((h) => h.headers.authorization);

describe('credentials toward a streamable HTTP upstream', () => {
  it("sends each link its principal's token on every POST, GET and DELETE", async () => {
    const up = await guarded(new Set(['Bearer alice-1', 'Bearer bob-1']));
    const creds = new FakeCredentials();
    for (const who of [alice, bob]) {
      const { channel, got } = await link(up.url, creds, who);
      await channel.send(initialize);
      await channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      await channel.send(list(1));
      await until(() => up.hits.find((h) => h.method === 'GET' && h.headers.authorization === `Bearer ${who.id}-1`), 'the GET stream');
      await channel.close();
      expect(got.map((m) => 'result' in m)).toEqual([true, true]);
    }
    expect(auths(up.hits, 'POST')).toEqual(['Bearer alice-1', 'Bearer alice-1', 'Bearer alice-1', 'Bearer bob-1', 'Bearer bob-1', 'Bearer bob-1']);
    expect(auths(up.hits, 'DELETE')).toEqual(['Bearer alice-1', 'Bearer bob-1']);
    expect(creds.refusals).toEqual([]);
  });

  it('tells the credentials of a 401 and sends the request once more with the new token', async () => {
    const up = await guarded(new Set(['Bearer alice-2']));
    const creds = new FakeCredentials();
    const { channel, got } = await link(up.url, creds, alice);
    await channel.send(initialize);
    expect(got[0]).toMatchObject({ id: 0, result: { protocolVersion: V } });
    expect(auths(up.hits)).toEqual(['Bearer alice-1', 'Bearer alice-2']);
    expect(creds.refusals).toEqual([{ who: 'alice', status: 401, challenge: 'Bearer resource_metadata="x"', sent: 'Bearer alice-1' }]);
  });

  it('gives up after one retry: a second 401 is the refusal, not a loop', async () => {
    const up = await guarded(new Set());
    const creds = new FakeCredentials();
    const { channel } = await link(up.url, creds, alice);
    await expect(channel.send(initialize)).rejects.toMatchObject({ data: { httpStatus: 401 } });
    expect(auths(up.hits)).toEqual(['Bearer alice-1', 'Bearer alice-2']);
    expect(creds.refusals).toHaveLength(1);
  });

  it('retries a 403 for want of scope, and not any other 403', async () => {
    const scope = await guarded(
      new Set(['Bearer alice-2']),
      (res) => void res.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="mcp"' }).end(),
    );
    const creds = new FakeCredentials();
    await (await link(scope.url, creds, alice)).channel.send(initialize);
    expect(creds.refusals.map((r) => r.status)).toEqual([403]);
    const other = await guarded(new Set(['Bearer bob-2']), (res) => void res.writeHead(403).end());
    await expect((await link(other.url, creds, bob)).channel.send(initialize)).rejects.toMatchObject({ data: { httpStatus: 403 } });
    expect(creds.refusals).toHaveLength(1);
  });

  it('answers a request with the exact error the credentials threw in rpcError, as its response', async () => {
    const up = await guarded(new Set(['Bearer alice-1']));
    const creds = new FakeCredentials();
    const rpcError = { code: -32042, message: 'Authorization required: open http://x/start', data: { elicitations: [{ mode: 'url', url: 'http://x/start' }] } };
    creds.fail = Object.assign(new Error('consent'), { rpcError });
    for (const message of [initialize, modernList(7)]) {
      const { channel, got } = await link(up.url, creds, alice);
      await channel.send(message);
      expect(got).toEqual([{ jsonrpc: '2.0', id: message.id, error: rpcError }]);
    }
    expect(up.hits).toEqual([]);
  });

  it('answers -32011 { reason: credentials } for any other error, and drops a notification with a warning naming no secret', async () => {
    const up = await guarded(new Set(['Bearer alice-1']));
    const creds = new FakeCredentials();
    creds.fail = new Error('the authorization server is down');
    const { channel, got, log } = await link(up.url, creds, alice);
    await channel.send(list(3));
    await channel.send(modernList(4));
    await channel.send({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    const error = { code: -32011, message: 'credentials for this upstream: the authorization server is down', data: { reason: 'credentials' } };
    expect(got).toEqual([
      { jsonrpc: '2.0', id: 3, error },
      { jsonrpc: '2.0', id: 4, error },
    ]);
    expect(logText(log.lines)).toContain('notification was dropped');
    expect(up.hits).toEqual([]);
  });

  it('asks for the token once per request on the 2026-07-28 path, with the 401 retry there too', async () => {
    const valid = new Set(['Bearer bob-1']);
    const up = await guarded(valid);
    const creds = new FakeCredentials();
    const { channel, got } = await link(up.url, creds, bob);
    await channel.send(modernList(1));
    valid.clear();
    valid.add('Bearer bob-2');
    await channel.send(modernList(2));
    expect(got.map((m) => 'result' in m && m.id)).toEqual([1, 2]);
    expect(auths(up.hits)).toEqual(['Bearer bob-1', 'Bearer bob-1', 'Bearer bob-2']);
    expect(creds.asked).toBe(3);
  });

  it('refuses configured Authorization headers beside credentials (ConfigError)', () => {
    expect(() => streamableHttpUpstream({ url: 'http://127.0.0.1:1/mcp', headers: { AUTHORIZATION: 'Bearer x' }, credentials: new FakeCredentials() })).toThrow(
      ConfigError,
    );
  });
});

describe('credentials through core', () => {
  it("answers a client's initialize with the credentials' error, and its retry (after authorizing) succeeds", async () => {
    const { createChannelPair, createProxy } = await import('@mcproxy/core');
    const up = await guarded(new Set(['Bearer alice-1']));
    const creds = new FakeCredentials();
    const rpcError = { code: -32042, message: 'Authorization required for upstream "g": open http://x/start to sign in, then retry' };
    creds.fail = Object.assign(new Error('consent'), { rpcError });
    const proxy = createProxy({ upstreams: [{ name: 'g', mode: 'shared', connect: streamableHttpUpstream({ url: up.url, credentials: creds }) }] });
    t.add(() => proxy.close());
    const session = async () => {
      const [near, far] = createChannelPair();
      const got: Message[] = [];
      far.onmessage = (m) => void got.push(m);
      await far.start();
      await proxy.accept(near, undefined, { principal: alice });
      await far.send(initialize);
      await until(() => got[0], 'the answer to initialize');
      return { far, got };
    };
    const first = await session();
    expect(first.got[0]).toMatchObject({ id: 0, error: rpcError });
    creds.fail = undefined;
    const second = await session();
    expect(second.got[0]).toMatchObject({ id: 0, result: { protocolVersion: V } });
    await second.far.send(list(1));
    await until(() => second.got[1], 'the tools');
    expect(second.got[1]).toMatchObject({ id: 1, result: { tools: [] } });
  });
});
