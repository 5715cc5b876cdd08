import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { createProxy, LimitReporter, type Message, type Proxy } from '@mcproxy/core';
import { LARGE_FRAME_BYTES, lazyJson, rawOf } from '@mcproxy/large-json';
import { answeringChannel } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../test/recording-logger.js';
import { serveStdio } from '../index.js';

const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

const TEXT = 'r'.repeat(3 * LARGE_FRAME_BYTES);
const CONTENT = JSON.stringify([{ type: 'text', text: TEXT }]);

/** The upstream: keeps what it got, answers every request with content kept as bytes. */
const bareUpstream = (got: Message[]) => async () =>
  answeringChannel(
    () => ({ content: lazyJson([Buffer.from(CONTENT)], Buffer.byteLength(CONTENT), true) }),
    (message) => got.push(message),
  );

describe('serveStdio with large messages', () => {
  it('passes a 3 MiB argument from stdin on unparsed, and writes a result kept as bytes to stdout as those bytes', async () => {
    const got: Message[] = [];
    const log = new RecordingLogger();
    const proxy = createProxy({ upstreams: [{ name: 'up', mode: 'shared', connect: bareUpstream(got) }], log });
    proxies.push(proxy);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const lines: string[] = [];
    createInterface({ input: stdout }).on('line', (l) => lines.push(l));
    await serveStdio(proxy, { stdin, stdout, maxLineBytes: 8 * LARGE_FRAME_BYTES, limits: {}, limitReporter: new LimitReporter(log) });

    const line = Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'big', arguments: { text: TEXT } } })}\n`);
    for (let i = 0; i < line.length; i += 65536) stdin.write(line.subarray(i, i + 65536));
    for (let i = 0; i < 200 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 10));

    const sent = got.find((m) => 'method' in m && m.method === 'tools/call') as { params: { arguments: { text: string } } } | undefined;
    expect(rawOf(sent?.params.arguments)).toBeDefined();
    expect(lines).toEqual([`{"jsonrpc":"2.0","id":9,"result":{"content":${CONTENT}}}`]);
    expect(sent?.params.arguments.text.length).toBe(TEXT.length);
  });
});
