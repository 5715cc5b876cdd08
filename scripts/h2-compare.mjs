#!/usr/bin/env node
// A measurement, not a test (run by hand after a build: `node scripts/h2-compare.mjs [rounds]`):
// one mcproxy process serving HTTP/1.1 and HTTP/2 on one port (serve.http.http2),
// the built-in example server (`mcproxy --example`'s) behind it over stdio. It
// opens one 2025-11-25 session, then times batches of 100 concurrent tools/call
// (`echo`) on that session, alternately on ONE HTTP/2 connection (100 streams)
// and on 100 kept-alive HTTP/1.1 connections (one call each), and prints the
// median batch time of each, calls per second and the ratio.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:http2';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const asked = Number.parseInt(process.argv[2] ?? '', 10);
if (process.argv[2] !== undefined && !(asked > 0)) {
  process.stderr.write('usage: node scripts/h2-compare.mjs [rounds]   (rounds: a whole number, default 20; build first)\n');
  process.exit(2);
}
const ROUNDS = asked > 0 ? asked : 20;
const WARMUP = 3;
const CALLS = 100;
const say = (line) => process.stdout.write(`${line}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const headersFor = (session) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(session === undefined ? {} : { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' }),
});

/** The JSON-RPC message of an answer: the body, or the last `data:` line of an event stream. */
function messageOf(text) {
  const data = text.split('\n').filter((line) => line.startsWith('data:') && line.length > 5);
  return JSON.parse(data.length === 0 ? text : data[data.length - 1].slice(5));
}

/** One POST over HTTP/1.1 through `agent`. */
function post1(url, agent, session, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: headersFor(session) }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, message: res.statusCode === 202 ? undefined : messageOf(Buffer.concat(chunks).toString('utf8')) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** One POST as a stream of `h2`. */
function post2(h2, path, session, body) {
  return new Promise((resolve, reject) => {
    const stream = h2.request({ ':method': 'POST', ':path': path, ...headersFor(session) });
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => resolve(messageOf(Buffer.concat(chunks).toString('utf8'))));
    stream.on('error', reject);
    stream.end(JSON.stringify(body));
  });
}

const call = (id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: `call ${id}` } } });

async function waitForListening(url, proxy) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proxy.exitCode !== null) throw new Error(`mcproxy exited (${proxy.exitCode})`);
    try {
      const agent = new Agent();
      await post1(url, agent, undefined, { jsonrpc: '2.0', id: 0, method: 'ping' }).catch((err) => {
        if (err.code === 'ECONNREFUSED') throw err;
      });
      agent.destroy();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('mcproxy did not listen within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** CPU time (user + system, ms) the process `pid` has used so far (Linux; 0 elsewhere). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
  const dir = mkdtempSync(join(tmpdir(), 'mcproxy-h2-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const config = join(dir, 'pipeline.json');
  const example = join(root, 'apps', 'cli', 'dist', 'example', 'main.js');
  writeFileSync(
    config,
    JSON.stringify({ serve: { http: { host: '127.0.0.1', port, http2: true } }, upstreams: { example: { command: process.execPath, args: [example] } } }),
  );
  const proxy = spawn(process.execPath, [join(root, 'apps', 'cli', 'bin', 'mcproxy.js'), '--config', config, '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Its log is shown only if it fails.
  let stderr = '';
  proxy.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const agent = new Agent({ keepAlive: true, maxSockets: CALLS });
  let h2;
  try {
    await waitForListening(url, proxy);
    const init = await post1(url, agent, undefined, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'h2-compare', version: '1' } },
    });
    const session = String(init.headers['mcp-session-id']);
    await post1(url, agent, session, { jsonrpc: '2.0', method: 'notifications/initialized' });
    h2 = connect(`http://127.0.0.1:${port}`);
    await new Promise((resolve, reject) => h2.once('connect', resolve).once('error', reject));

    let id = 10;
    const batch = async (over) => {
      const ids = Array.from({ length: CALLS }, () => id++);
      const started = process.hrtime.bigint();
      const answers = await Promise.all(
        ids.map((n) => (over === 'h2' ? post2(h2, '/mcp', session, call(n)) : post1(url, agent, session, call(n)).then((a) => a.message))),
      );
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const wrong = answers.filter((a, i) => a?.id !== ids[i] || a.result?.content?.[0]?.text !== `call ${ids[i]}`).length;
      if (wrong > 0) throw new Error(`${wrong} of ${CALLS} answers over ${over} were not the echo`);
      return ms;
    };
    // Warm both ways (JIT, the 100 HTTP/1.1 sockets opened) before anything is timed.
    for (let i = 0; i < WARMUP; i++) {
      await batch('h1');
      await batch('h2');
    }
    const times = { h1: [], h2: [] };
    const cpu = { h1: 0, h2: 0 };
    for (let i = 0; i < ROUNDS; i++) {
      // Alternated, the order flipped each round, so drift on the machine falls on both alike.
      for (const over of i % 2 === 0 ? ['h2', 'h1'] : ['h1', 'h2']) {
        const before = cpuMs(proxy.pid);
        times[over].push(await batch(over));
        cpu[over] += cpuMs(proxy.pid) - before;
      }
    }
    const perCall = (over) => `${((cpu[over] * 1000) / (ROUNDS * CALLS)).toFixed(0)} µs of mcproxy CPU per call`;
    const h1 = median(times.h1);
    const h2ms = median(times.h2);
    const sockets =
      Object.values(agent.sockets).reduce((n, list) => n + list.length, 0) + Object.values(agent.freeSockets).reduce((n, list) => n + list.length, 0);
    say(
      `mcproxy ${url} (HTTP/1.1 and h2c on one port), example server over stdio; ${ROUNDS} rounds of ${CALLS} concurrent tools/call echo on one session, medians`,
    );
    say(`load average (/proc/loadavg) before: ${loadBefore}; after: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    say(`HTTP/2, 1 connection, ${CALLS} streams:     ${h2ms.toFixed(1)} ms per batch, ${Math.round((CALLS * 1000) / h2ms)} calls/s, ${perCall('h2')}`);
    say(`HTTP/1.1, ${sockets} connections, 1 call each: ${h1.toFixed(1)} ms per batch, ${Math.round((CALLS * 1000) / h1)} calls/s, ${perCall('h1')}`);
    say(`ratio HTTP/2 time / HTTP/1.1 time: ${(h2ms / h1).toFixed(2)} (below 1: HTTP/2 faster)`);
  } catch (err) {
    process.stderr.write(stderr);
    throw err;
  } finally {
    h2?.close();
    agent.destroy();
    proxy.kill('SIGTERM');
    await new Promise((resolve) => (proxy.exitCode !== null ? resolve() : proxy.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`h2-compare: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
