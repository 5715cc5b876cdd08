import { LARGE_FRAME_BYTES, lazyJson, rawOf } from '@mcproxy/large-json';
import { initializedChannel, recordingLogger, Teardown, until } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { SCRIPTED_VERSION as VERSION, sessionUpstream } from '../../test/scripted-upstream.js';
import { streamableHttpUpstream, type UpstreamChannel } from '../index.js';

const t = new Teardown();
afterEach(() => t.run());

const TEXT = 'q'.repeat(3 * LARGE_FRAME_BYTES);
const CONTENT = JSON.stringify([{ type: 'text', text: TEXT }]);

async function connect(url: string) {
  const channel = (await streamableHttpUpstream({ url, log: recordingLogger(), closeTimeoutMs: 500 })()) as UpstreamChannel;
  t.add(() => channel.close());
  return { channel, got: await initializedChannel(channel, VERSION) };
}

describe('large messages toward and from an HTTP upstream', () => {
  it('reads a large JSON answer with its content kept as the bytes it came in (pretty-printed, as a server may send it)', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      const body = JSON.stringify({ jsonrpc: '2.0', id: hit.body.id, result: { content: JSON.parse(CONTENT) } }, null, 2);
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return true;
    });
    const { channel, got } = await connect(up.url);
    await channel.send({ jsonrpc: '2.0', id: 'big', method: 'tools/call', params: { name: 'big', arguments: {} } });
    await until(() => got.length === 2, 'the answer');
    const answer = got[1] as unknown as { result: { content: Array<{ text: string }> } };
    expect(rawOf(answer.result.content)).toBeDefined();
    expect(answer.result.content[0]?.text).toBe(TEXT);
  });

  it('reads a large answer on an event stream, in several data lines, with its content kept as bytes', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      const body = JSON.stringify({ jsonrpc: '2.0', id: hit.body.id, result: { content: JSON.parse(CONTENT) } }, null, 1);
      // One data line per line of the pretty-printed JSON; written in small pieces, CRLF line ends.
      const event = `event: message\r\nid: e1\r\n${body
        .split('\n')
        .map((l) => `data: ${l}`)
        .join('\r\n')}\r\n\r\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < event.length; i += 100_000) res.write(event.slice(i, i + 100_000));
      res.end();
      return true;
    });
    const { channel, got } = await connect(up.url);
    await channel.send({ jsonrpc: '2.0', id: 'sse', method: 'tools/call', params: { name: 'big', arguments: {} } });
    await until(() => got.length === 2, 'the answer');
    const answer = got[1] as unknown as { id: string; result: { content: Array<{ text: string }> } };
    expect(answer.id).toBe('sse');
    expect(rawOf(answer.result.content)).toBeDefined();
    expect(answer.result.content[0]?.text).toBe(TEXT);
  });

  it('POSTs a message carrying large parts as their bytes, with its length', async () => {
    const up = await sessionUpstream(t, (hit, res) => {
      if (hit.body?.method !== 'tools/call') return false;
      const args = (hit.body.params as { arguments: { text: string } }).arguments;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: hit.body.id, result: { content: [{ type: 'text', text: String(args.text.length) }] } }));
      return true;
    });
    const { channel, got } = await connect(up.url);
    const json = JSON.stringify({ text: TEXT });
    const args = lazyJson([Buffer.from(json)], json.length, false);
    await channel.send({ jsonrpc: '2.0', id: 'up', method: 'tools/call', params: { name: 'size', arguments: args as Record<string, unknown> } });
    await until(() => got.length === 2, 'the answer');
    expect(JSON.stringify(got[1])).toContain(`"text":"${TEXT.length}"`);
    const post = up.hits.find((h) => h.body?.method === 'tools/call');
    expect(Number(post?.headers['content-length'])).toBeGreaterThan(TEXT.length);
    expect(post?.headers['transfer-encoding']).toBeUndefined();
    expect(rawOf(args)).toBeDefined();
  });
});
