import { afterEach, describe, expect, it } from 'vitest';
import { createProxy, silentLogger, type Middleware } from '@mcproxy/core';
import { memoryClient, memoryUpstream, type MemoryUpstream } from '@mcproxy/testing';
import { start, stop, toolServer } from '../../test/servers.js';
import { aggregate } from '../aggregate.js';

const gates: Array<() => void> = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const open of gates.splice(0)) open();
  await Promise.all(closers.splice(0).map((c) => c()));
  await stop();
});

/** An upstream whose server comes up only when the test opens its gate: an npx server on its first download. */
function slowToStart(name: string, tools: string[]): { upstream: MemoryUpstream; open: () => void } {
  const inner = memoryUpstream(name, toolServer(name, tools));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  gates.push(open);
  return { upstream: { ...inner, connect: () => gate.then(() => inner.connect()) }, open };
}

const names = async (client: Awaited<ReturnType<typeof memoryClient>>): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name).sort();

describe('an upstream still starting', () => {
  it('is waited for by the first list, up to startupTimeoutMs, though initialize gave up on it sooner', async () => {
    const slow = slowToStart('files', ['read_text_file']);
    const client = await start([memoryUpstream('a', toolServer('a', ['x'])), slow.upstream], {
      prefix: 'always',
      initializeTimeoutMs: 50,
      timeoutMs: 50,
      startupTimeoutMs: 10_000,
    });
    const listed = names(client);
    // Opened only after initialize has answered without it: the list is what waits.
    setTimeout(slow.open, 200);
    expect(await listed).toEqual(['a__x', 'files__read_text_file']);
  });

  it('is named as starting, with when it is asked again, when a call names a tool its list would have', async () => {
    const slow = slowToStart('files', ['read_text_file']);
    const client = await start([memoryUpstream('a', toolServer('a', ['x'])), slow.upstream], {
      prefix: 'always',
      initializeTimeoutMs: 50,
      startupTimeoutMs: 50,
      retryMs: 10_000,
    });
    expect(await names(client)).toEqual(['a__x']);
    await expect(client.callTool({ name: 'files__read_text_file', arguments: {} })).rejects.toThrow(
      /Tool files__read_text_file is not listed yet: upstream "files" is still starting \(did not answer tools\/list within 50 ms\); asked again in \d+ s/,
    );
    // A name without a prefix could be the starting one's; one with the prefix of an upstream that listed is not found.
    await expect(client.callTool({ name: 'read_text_file', arguments: {} })).rejects.toThrow(
      /Tool read_text_file is not in the lists of the upstreams that answered: upstream "files" is still starting/,
    );
    await expect(client.callTool({ name: 'a__nothing', arguments: {} })).rejects.toThrow(/Tool a__nothing not found/);
  });

  it('is not what an upstream that failed outright is: lists keep to its back-off and do not ask it again', async () => {
    const broken = memoryUpstream('broken', toolServer('broken', ['x']));
    broken.fail('exited with code 3');
    const asked: string[] = [];
    const record: Middleware = async function record(ctx, next) {
      if (ctx.kind === 'request' && ctx.message.method === 'tools/list' && ctx.upstream !== undefined) asked.push(ctx.upstream);
      return next();
    };
    const mw = await aggregate({ prefix: 'always', retryMs: 10_000 }, { log: silentLogger });
    const proxy = createProxy({ upstreams: [memoryUpstream('a', toolServer('a', ['x'])), broken], middleware: [mw, record] });
    closers.push(() => proxy.close());
    const client = await memoryClient(proxy);
    expect(await names(client)).toEqual(['a__x']);
    expect(asked).toEqual(['a']);
  });

  it('leaves "not found" to names no list has when every upstream has answered', async () => {
    const client = await start([memoryUpstream('a', toolServer('a', ['x']))], { prefix: 'always' });
    await expect(client.callTool({ name: 'a__nothing', arguments: {} })).rejects.toThrow(/Tool a__nothing not found/);
  });
});
