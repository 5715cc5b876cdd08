import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createProxy, silentLogger, type Proxy } from '@mcproxy/core';
import { memoryClient, memoryUpstream } from '@mcproxy/testing';
import * as z from 'zod';
import logging, { CUT, type LoggingOptions } from './index.js';

let proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});

const SECRET = 'hunter2-correct-horse';

const server = () => (): McpServer => {
  const s = new McpServer({ name: 'up', version: '1.0.0' });
  s.registerTool('login', { inputSchema: { user: z.string(), password: z.string() } }, async ({ user, password }) => ({
    content: [{ type: 'text', text: `${user} logged in with ${password}` }],
  }));
  s.registerTool('big', {}, async () => ({ content: [{ type: 'text', text: 'x'.repeat(20_000) }] }));
  s.registerTool('touch', {}, async () => {
    await s.server.sendResourceUpdated({ uri: 'file:///tmp/a.txt' });
    return { content: [] };
  });
  s.registerTool('wait', {}, async (extra) => {
    await new Promise((resolve) => extra.signal.addEventListener('abort', resolve));
    return { content: [] };
  });
  // A prompt and a resource, so the server declares both capabilities.
  s.registerPrompt('greet', {}, () => ({ messages: [] }));
  s.registerResource('a', 'file:///tmp/a.txt', {}, async () => ({ contents: [] }));
  return s;
};

type Line = Record<string, unknown>;

/** A proxy logging to a file in a folder that does not exist yet; `lines()` reads what has been written. */
async function setup(options: Omit<LoggingOptions, 'destination'> = {}) {
  const file = join(mkdtempSync(join(tmpdir(), 'mw-logging-')), 'not', 'yet', 'traffic.log');
  const mw = await logging({ ...options, destination: file }, { log: silentLogger });
  const proxy = createProxy({ upstreams: [memoryUpstream('up', server())], middleware: [mw] });
  proxies.push(proxy);
  const client = await memoryClient(proxy);
  const text = (): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const lines = (): Line[] =>
    text()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Line);
  /** Waits until the file has a line that `match` picks (the file is written asynchronously), and returns it. */
  const line = async (match: (l: Line) => boolean): Promise<Line> =>
    vi.waitFor(() => {
      const found = lines().find(match);
      if (found === undefined) throw new Error('no such line yet');
      return found;
    });
  return { client, text, lines, line };
}

const response =
  (method: string, name?: string) =>
  (l: Line): boolean =>
    l.kind === 'response' && l.method === method && (name === undefined || l.name === name);

describe('logging', () => {
  it('writes a line per message and a pair line with a duration, sharing a sequence number', async () => {
    const { client, line, lines, text } = await setup();
    await client.callTool({ name: 'big' });
    const pair = await line(response('tools/call', 'big'));
    // One `name` key per line: nothing of pino's own may clash with the line's fields.
    const raw = text()
      .split('\n')
      .find((l) => l.includes('"kind":"response"') && l.includes('"method":"tools/call"'));
    expect(raw?.match(/"name":/g)).toHaveLength(1);
    const request = lines().find((l) => l.kind === 'request' && l.method === 'tools/call');
    expect(request).toMatchObject({ direction: 'upstream', upstream: 'up', name: 'big', seq: pair.seq, session: pair.session });
    expect(pair).toMatchObject({ direction: 'upstream', upstream: 'up', outcome: 'ok', level: 30 });
    expect(typeof pair.durationMs).toBe('number');
    expect(pair.session).toMatch(/^[0-9a-f-]{8}$/); // a prefix of the id, never the whole credential
    expect(pair).not.toHaveProperty('result');
    expect(lines().some((l) => l.kind === 'notification' && l.method === 'notifications/initialized')).toBe(true);
    const initialize = lines().find((l) => l.method === 'initialize' && l.kind === 'request');
    expect(initialize?.seq).toBe(1);
  });

  it('gives an error reply the outcome error, with its code and message', async () => {
    const { client, line } = await setup({ level: 'warn' });
    await expect(client.getPrompt({ name: 'nope' })).rejects.toThrow();
    const pair = await line(response('prompts/get', 'nope'));
    expect(pair).toMatchObject({ outcome: 'error', error: { code: -32602 }, level: 40 });
    expect(pair.error).toHaveProperty('message', expect.stringContaining('nope'));
    expect(typeof pair.durationMs).toBe('number');
  });

  it('says cancelled when the client gives up on a request', async () => {
    const { client, line } = await setup();
    const controller = new AbortController();
    const call = client.callTool({ name: 'wait' }, undefined, { signal: controller.signal });
    await line((l) => l.kind === 'request' && l.name === 'wait');
    controller.abort('changed my mind');
    await expect(call).rejects.toThrow();
    expect(await line(response('tools/call', 'wait'))).toMatchObject({ outcome: 'cancelled' });
  });

  it('logs what upstreams send, going downstream', async () => {
    const { client, line } = await setup();
    await client.callTool({ name: 'touch' });
    const note = await line((l) => l.method === 'notifications/resources/updated');
    expect(note).toMatchObject({ kind: 'notification', direction: 'downstream', upstream: 'up', name: 'file:///tmp/a.txt' });
  });

  it('redacts the paths it is given, so the secret never reaches the file', async () => {
    const { client, line, text } = await setup({ payloads: true, redact: ['params.arguments.password', 'result.content'] });
    await client.callTool({ name: 'login', arguments: { user: 'ada', password: SECRET } });
    const pair = await line(response('tools/call', 'login'));
    const request = await line((l) => l.kind === 'request' && l.name === 'login');
    expect(request.params).toMatchObject({ name: 'login', arguments: { user: 'ada', password: '[redacted]' } });
    expect(pair.result).toMatchObject({ content: '[redacted]' });
    expect(text()).not.toContain(SECRET);
  });

  it('still redacts a secret inside a payload that had to be cut', async () => {
    const { client, line, text } = await setup({ payloads: true, maxPayloadBytes: 60, redact: ['params.arguments.password', 'result.content'] });
    const long = `${SECRET}-${'y'.repeat(400)}`;
    await client.callTool({ name: 'login', arguments: { password: long, user: 'ada' } });
    const request = await line((l) => l.kind === 'request' && l.name === 'login');
    await line(response('tools/call', 'login'));
    expect(request.truncated).toHaveProperty('params');
    // The cut kept the shape, so the redaction still found the password where it was.
    expect(request.params).toMatchObject({ arguments: { password: '[redacted]' } });
    expect(text()).not.toContain(SECRET.slice(0, 7));
  });

  it('cuts payloads to about maxPayloadBytes and marks them', async () => {
    const { client, line } = await setup({ payloads: true, maxPayloadBytes: 512 });
    await client.callTool({ name: 'big' });
    const pair = await line(response('tools/call', 'big'));
    expect((pair.truncated as Line).result).toBeGreaterThan(20_000);
    const kept = JSON.stringify(pair.result);
    expect(kept.length).toBeLessThan(700);
    expect(kept).toContain(CUT);
    expect(pair.result).toMatchObject({ content: [{ type: 'text' }] });
  });
});

describe('logging options', () => {
  const build = (options: unknown) => () => logging(options, { log: silentLogger });

  it('refuse stdout however it is written', () => {
    for (const destination of ['stdout', 1, '/dev/stdout', '/proc/self/fd/1', '-']) {
      expect(build({ destination })).toThrow(/destination: stdout may carry MCP messages/);
    }
    expect(build({ destination: 3 })).toThrow(/destination/);
  });

  it('refuse redact paths outside the payloads, and unknown options', () => {
    expect(build({ redact: ['arguments.password'] })).toThrow(/redact\.0: a redact path starts with/);
    expect(build({ redact: ['params..x'] })).toThrow(/redact/);
    expect(build({ payload: true })).toThrow(/payload/);
    expect(build({ level: 'loud' })).toThrow(/level/);
  });

  it('accept the paths the README shows, and pino applies them', async () => {
    const redact = ['params.arguments.apiKey', 'params.arguments.*.secret', 'result.content[*].text', 'params["arguments"].token', 'error.data.token'];
    const { client, line, text } = await setup({ payloads: true, redact });
    await client.callTool({ name: 'login', arguments: { user: 'ada', password: SECRET } });
    expect(await line(response('tools/call', 'login'))).toMatchObject({ result: { content: [{ type: 'text', text: '[redacted]' }] } });
    expect(text().match(new RegExp(SECRET, 'g'))).toHaveLength(1);
  });

  it('refuse a file that cannot be written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-logging-'));
    expect(build({ destination: dir })).toThrow(/cannot be written/);
  });
});
