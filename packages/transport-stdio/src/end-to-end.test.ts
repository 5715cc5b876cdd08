import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createChannelPair, createProxy, type Proxy } from '@mcproxy/core';
import { ECHO_SERVER, isAlive, LineQueue, SDK_SERVER } from '../test/harness.js';
import { RecordingLogger } from '../test/recording-logger.js';
import { reapChildren, serveStdio, stdioUpstream } from './index.js';

const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await reapChildren();
});

describe('stdio on both sides', () => {
  it('serves a client on stdin/stdout in front of a child server, and cleans up after it', async () => {
    const log = new RecordingLogger();
    const connect = stdioUpstream({ name: 'echo', command: process.execPath, args: [ECHO_SERVER], log });
    const proxy = createProxy({ upstreams: [{ name: 'echo', mode: 'shared', connect }], log });
    proxies.push(proxy);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const out = new LineQueue(stdout);
    const server = await serveStdio(proxy, { stdin, stdout });

    const send = (m: object): boolean => stdin.write(`${JSON.stringify(m)}\n`);
    send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    expect(await out.next()).toMatchObject({ id: 0, result: { serverInfo: { name: 'echo-fixture' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'stderr', arguments: { text: 'said on stderr' } } });
    expect(await out.next()).toMatchObject({ id: 1, result: { content: [{ text: 'written' }] } });
    await log.next((e) => e.fields.stderr === 'said on stderr');

    // stdout carried exactly the two answers: no log lines, no stderr.
    expect(out.lines).toHaveLength(2);
    expect(JSON.stringify(out.lines)).not.toContain('said on stderr');

    const pid = (await log.next((e) => e.msg === 'upstream process started')).fields.childPid as number;
    stdin.end();
    await server.closed;
    await proxy.close();
    expect(isAlive(pid)).toBe(false);
  });

  it('lets an SDK client use an SDK server behind the proxy', async () => {
    const connect = stdioUpstream({ name: 'sdk', command: process.execPath, args: [SDK_SERVER] });
    const proxy = createProxy({ upstreams: [{ name: 'sdk', mode: 'shared', connect }] });
    proxies.push(proxy);
    const [clientEnd, serverEnd] = createChannelPair();
    await proxy.accept(serverEnd);
    // A core channel has the SDK Transport's shape: that is the point of the seam.
    const transport: Transport = clientEnd as Transport;
    const client = new Client({ name: 'e2e', version: '0.0.0' });
    await client.connect(transport);
    expect(client.getServerVersion()?.name).toBe('sdk-fixture');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['greet']);
    const result = await client.callTool({ name: 'greet' });
    expect(result.content).toEqual([{ type: 'text', text: 'hello from the sdk' }]);
    await client.close();
  });
});
