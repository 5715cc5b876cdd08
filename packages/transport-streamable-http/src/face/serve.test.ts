import type { Server } from 'node:http';
import { McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { ProxyErrorCode, type EventLog } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, initialize, MCP_ACCEPT, openSse, post, Teardown, textOf, until } from '@mcproxy/testing';
import { connectClient, serveProxy } from '../../test/setup.js';
import { MemoryEventLog } from './sessions/event-store.js';

const t = new Teardown();
const openConnections = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
afterEach(() => t.run());

describe('serveStreamableHttp, driven by a real SDK client', () => {
  it('initializes, lists tools and calls one through the proxy', async () => {
    const { http, proxy } = await serveProxy(t);
    expect(http.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const { client, transport } = await connectClient(t, http.url);
    // Core's session is named by the Mcp-Session-Id the client got.
    expect([...proxy.sessions].map((s) => s.id)).toEqual([transport.sessionId]);
    expect(client.getServerVersion()?.name).toBe('upstream');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['ask', 'count', 'hello', 'wait']);
    expect(textOf(await client.callTool({ name: 'hello', arguments: {} }))).toBe('hello from upstream');
  });

  it('delivers progress notifications before the result they belong to', async () => {
    const { http } = await serveProxy(t);
    const { client } = await connectClient(t, http.url);
    const progress: number[] = [];
    const result = await client.callTool({ name: 'count', arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    // The SDK drops progress that comes after the result, so all three here means all came first.
    expect(progress).toEqual([1, 2, 3]);
    expect(textOf(result)).toBe('counted');
  });

  it('carries a sampling request from the upstream to the client and its answer back', async () => {
    const { http } = await serveProxy(t);
    const { client } = await connectClient(t, http.url, 'the downstream client');
    const result = await client.callTool({ name: 'ask', arguments: {} });
    expect(textOf(result)).toBe('sampled: the downstream client');
  });

  it("keeps each session's events in the EventLog it is given, and drops them when the session ends", async () => {
    const memory = new MemoryEventLog();
    const opened: string[] = [];
    const dropped: string[] = [];
    const eventLog: EventLog = {
      forSession(id) {
        opened.push(id);
        const events = memory.forSession(id);
        return {
          ...events,
          drop() {
            dropped.push(id);
            events.drop();
          },
        };
      },
      get bytes() {
        return memory.bytes;
      },
    };
    const served = await serveProxy(t, { http: { eventLog } });
    const { client, transport } = await connectClient(t, served.http.url);
    await client.callTool({ name: 'hello', arguments: {} });
    expect(opened).toEqual([transport.sessionId]);
    await transport.terminateSession();
    expect(dropped).toEqual(opened);
  });

  it('DELETE ends the session, its link closes, and the id is 404 from then on', async () => {
    const served = await serveProxy(t);
    const { client, transport } = await connectClient(t, served.http.url);
    await client.callTool({ name: 'hello', arguments: {} });
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    expect(served.proxy.sessions.size).toBe(0);
    await until(() => served.closedLinks() === 1, 'the per-session link to close');
    const again = await post(
      served.http.url,
      { jsonrpc: '2.0', id: 9, method: 'tools/list' },
      {
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
    );
    expect(again.status).toBe(404);
    expect(again.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32001 } });
  });

  it('opens the standalone GET stream, on which upstream list_changed notifications arrive', async () => {
    const served = await serveProxy(t);
    const getOpen = deferred();
    const watchingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'GET' && res.ok) getOpen.resolve();
      return res;
    };
    const { client } = await connectClient(t, served.http.url, 'a client', watchingFetch);
    const changed = deferred();
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => changed.resolve());
    await getOpen.promise;
    served.upstreams[0]!.registerTool('late', { description: 'added later' }, async () => ({ content: [] }));
    await changed.promise;
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('late');
  });

  it('close() answers requests still in flight instead of leaving clients waiting', async () => {
    const [entered, gate] = [deferred(), deferred()];
    const served = await serveProxy(t, {
      hooks: {
        gate: () => {
          entered.resolve();
          return gate.promise;
        },
      },
    });
    t.add(async () => gate.resolve());
    const { client } = await connectClient(t, served.http.url);
    // The client's own timeout only keeps a regression from hanging the run.
    const call = client.callTool({ name: 'wait', arguments: {} }, undefined, { timeout: 5000 });
    const failed = call.then(
      () => undefined,
      (err: unknown) => err,
    );
    await entered.promise;
    await served.http.close();
    const err = await failed;
    expect(err).toBeInstanceOf(McpError);
    expect((err as McpError).code).toBe(ProxyErrorCode.SessionClosed);
    expect(served.proxy.sessions.size).toBe(0);
  });
});

describe('resumability', () => {
  it('primes POST streams with an event id and retry hint, and replays a dropped stream on Last-Event-ID', async () => {
    const gate = deferred();
    const served = await serveProxy(t, { hooks: { gate: () => gate.promise }, http: { retryIntervalMs: 750 } });
    t.add(async () => gate.resolve());
    const init = await post(served.http.url, initialize());
    const sessionId = String(init.headers['mcp-session-id']);
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    await post(served.http.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);

    const call = await openSse(served.http.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: MCP_ACCEPT },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'call-1', method: 'tools/call', params: { name: 'wait', arguments: {} } }),
    });
    expect(call.status).toBe(200);
    const priming = await call.next();
    expect(priming).toMatchObject({ data: '', retry: 750 });
    expect(priming?.id).toBeTruthy();
    call.drop();
    // Resuming while the server still holds the old stream would be a 409, as the spec wants.
    await until(async () => (await openConnections(served.http.server)) === 0, 'the server to see the drop');
    gate.resolve();
    const resumed = await openSse(served.http.url, {
      method: 'GET',
      headers: { ...headers, accept: 'text/event-stream', 'last-event-id': priming!.id! },
    });
    expect(resumed.status).toBe(200);
    const event = await resumed.next();
    expect(JSON.parse(event!.data)).toMatchObject({ id: 'call-1', result: { content: [{ text: 'waited' }] } });
    resumed.drop();
  });
});
