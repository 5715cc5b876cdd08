import { afterEach, describe, expect, it } from 'vitest';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { createProxy, silentLogger, type Proxy } from '@mcproxy/core';
import { memoryClient, memoryUpstream } from '@mcproxy/testing';
import { textOf, toolServer } from '../../test/servers.js';
import { aggregate } from '../index.js';

let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const names = async (client: Client): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('aggregate: the client hears when an upstream goes down and comes back', () => {
  it('gets one tools/list_changed when b dies and one when b is up again, and re-lists accordingly', async () => {
    // McpServer declares tools.listChanged, so core may speak for it.
    const b = memoryUpstream('b', toolServer('b', ['echo']));
    proxy = createProxy({
      upstreams: [memoryUpstream('a', toolServer('a', ['echo'])), b],
      middleware: [await aggregate({ retryMs: 1 }, { log: silentLogger })],
      supervision: { initialDelayMs: 5, maxDelayMs: 10 },
    });
    const client = await memoryClient(proxy);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1;
    });
    expect(await names(client)).toEqual(['a__echo', 'b__echo']);

    b.fail('connection refused');
    await Promise.all(b.servers.map((s) => s.close()));
    for (let i = 0; i < 100 && changed < 1; i++) await pause(5);
    expect(changed).toBe(1);
    expect(await names(client)).toEqual(['a__echo']);

    b.fail(undefined);
    // Lists reopen b once the back-offs allow; its new link's initialize is what the client hears.
    for (let i = 0; i < 200 && changed < 2; i++) {
      await pause(10);
      await names(client);
    }
    expect(changed).toBe(2);
    expect(await names(client)).toEqual(['a__echo', 'b__echo']);
    expect(textOf(await client.callTool({ name: 'b__echo' }))).toBe('b:echo');
    await pause(20);
    expect(changed).toBe(2);
  });
});
