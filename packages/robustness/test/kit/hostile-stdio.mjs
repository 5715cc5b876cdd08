#!/usr/bin/env node
// A stdio MCP server for robustness tests, in plain JavaScript so it starts
// fast and does exactly what a test asks, including the wrong things.
//   node hostile-stdio.mjs [--mode normal|crash-at-start|crash-after-init] [--spawn-log FILE] [--marks FILE]
// Every start appends its pid to the spawn log, so a test can count spawns;
// a flood appends "flood-start" and "flood-done" to the marks file.
// Tools: echo, pid, slow {ms}, hang, big {bytes}, flood {count, bytes},
// flood_later {count, bytes, delayMs}, endless, garbage, die.
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const mode = arg('mode', 'normal');
const spawnLog = arg('spawn-log', undefined);
const marks = arg('marks', undefined);
const mark = (text) => {
  if (marks) appendFileSync(marks, `${text}\n`);
};
if (spawnLog) appendFileSync(spawnLog, `${process.pid}\n`);
if (mode === 'crash-at-start') process.exit(3);

const TOOLS = ['echo', 'pid', 'slow', 'hang', 'big', 'flood', 'flood_later', 'endless', 'garbage', 'die'].map((name) => ({
  name,
  description: `robustness tool ${name}`,
  inputSchema: { type: 'object' },
}));

// Writes wait for the pipe to drain, so a flood is as fast as the proxy reads.
let queue = Promise.resolve();
function write(text) {
  queue = queue.then(
    () =>
      new Promise((resolve) => {
        if (process.stdout.write(text)) resolve();
        else process.stdout.once('drain', resolve);
      }),
  );
  return queue;
}
const send = (message) => write(`${JSON.stringify(message)}\n`);
const result = (id, value) => send({ jsonrpc: '2.0', id, result: value });
const text = (id, value) => result(id, { content: [{ type: 'text', text: value }] });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function flood(count, bytes) {
  const data = 'f'.repeat(bytes);
  mark('flood-start');
  for (let i = 0; i < count; i++) {
    await send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', logger: 'flood', data: `${i}:${data}` } });
  }
  mark('flood-done');
}

async function call(id, name, a) {
  switch (name) {
    case 'echo':
      return text(id, String(a.text ?? ''));
    case 'pid':
      return text(id, String(process.pid));
    case 'slow':
      await sleep(Number(a.ms ?? 1000));
      return text(id, 'slow done');
    case 'hang':
      return undefined;
    case 'big':
      return text(id, 'b'.repeat(Number(a.bytes ?? 1024)));
    case 'flood':
      await flood(Number(a.count ?? 1000), Number(a.bytes ?? 100));
      return text(id, 'flood done');
    case 'flood_later':
      await text(id, 'flood scheduled');
      await sleep(Number(a.delayMs ?? 100));
      return flood(Number(a.count ?? 1000), Number(a.bytes ?? 100));
    case 'endless': {
      // A line that never ends: the proxy must cut it, not buffer it.
      await write(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"content":[{"type":"text","text":"`);
      const chunk = 'e'.repeat(64 * 1024);
      for (;;) await write(chunk);
    }
    case 'garbage':
      await write('this is not json\n');
      await write('{"jsonrpc":"2.0","id":987654321,"result":{}}\n');
      await write('{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}\n');
      await write('[1,2,3]\n{"jsonrpc":"2.0"}\n\n\u0000\u0001\n');
      await write(`${JSON.stringify({ jsonrpc: '2.0', id: 'no-such-request', result: { content: [] } })}\n`);
      return text(id, 'garbage done');
    case 'die':
      process.kill(process.pid, 'SIGKILL');
      return undefined;
    default:
      return send({ jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool: ${name}` } });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    return;
  }
  const { id, method, params } = message;
  if (method === undefined || id === undefined) {
    if (method === 'notifications/initialized' && mode === 'crash-after-init') setTimeout(() => process.exit(4), 20);
    return;
  }
  switch (method) {
    case 'initialize':
      return result(id, {
        protocolVersion: params?.protocolVersion ?? '2025-06-18',
        capabilities: { tools: {}, logging: {} },
        serverInfo: { name: 'hostile-stdio', version: '1.0.0' },
      });
    case 'ping':
      return result(id, {});
    case 'tools/list':
      return result(id, { tools: TOOLS });
    case 'logging/setLevel':
      return result(id, {});
    case 'tools/call':
      return call(id, params?.name, params?.arguments ?? {});
    default:
      return send({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
});
process.stdin.on('end', () => process.exit(0));
