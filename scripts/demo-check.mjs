#!/usr/bin/env node
// Runs the README's first command the way a reader would, with a port of its
// own (`npm run demo -- --port N` is `node scripts/bootstrap.mjs demo --port N`):
// the banner must name the URL the proxy then says it is ready on, the example
// must answer an initialize there, and SIGTERM must end it with exit 0.
// `npm test` runs it last, after the tsc build: the demo transpiles dist with
// esbuild, which leaves the declarations tsc wrote in place.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const win = process.platform === 'win32';
const started = Date.now();
const say = (what) => process.stderr.write(`demo-check [${((Date.now() - started) / 1000).toFixed(1)}s]: ${what}\n`);

class Failure extends Error {}

/** A port nothing listens on now (the OS picks it; we let it go again). */
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

const port = await freePort();
const demo = spawn(process.execPath, [join(root, 'scripts/bootstrap.mjs'), 'demo', '--port', String(port)], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: !win,
});
const exited = new Promise((resolve) => demo.once('exit', (code, signal) => resolve(code ?? signal)));
const lines = [];

/** Resolves with the banner's URL and the URL of the "proxy ready" line. */
function readyUrls() {
  return new Promise((resolve, reject) => {
    let banner;
    const timer = setTimeout(() => reject(new Failure(`no "proxy ready" within 180 s:\n${lines.join('\n')}`)), 180_000);
    exited.then((code) => reject(new Failure(`npm run demo exited (${code}) before it was ready:\n${lines.join('\n')}`)));
    createInterface({ input: demo.stderr }).on('line', (line) => {
      lines.push(line);
      if (line.startsWith('> mcproxy --example')) banner = /https?:\/\/\S+/.exec(line)?.[0] ?? line;
      if (!line.includes('"proxy ready"')) return;
      clearTimeout(timer);
      resolve({ banner, ready: JSON.parse(line).url });
    });
    demo.stdout.resume();
  });
}

function stop(signal) {
  try {
    if (win) demo.kill(signal);
    else process.kill(-demo.pid, signal);
  } catch {
    /* already gone */
  }
}

let status = 0;
try {
  const { banner, ready } = await readyUrls();
  say(`banner: ${banner}; ready: ${ready}`);
  // The demo's build is esbuild's transpile (seconds), not tsc's (minutes on a busy machine).
  if (!lines.some((l) => /^transpiled \d+ packages with esbuild/.test(l))) throw new Failure(`the demo did not build with esbuild:\n${lines.join('\n')}`);
  if (banner !== ready) throw new Failure(`the banner says ${banner}, the proxy is ready on ${ready}`);
  if (ready !== `http://127.0.0.1:${port}/mcp`) throw new Failure(`--port ${port} was asked for, the proxy is on ${ready}`);
  const res = await fetch(ready, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'demo-check', version: '1' } },
    }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"serverInfo"')) throw new Failure(`initialize answered HTTP ${res.status}: ${text}`);
  say('the example answered initialize');
  stop('SIGTERM');
  const timer = setTimeout(() => stop('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(timer);
  if (code !== 0) throw new Failure(`on SIGTERM npm run demo ended with ${code}, not 0:\n${lines.join('\n')}`);
  say('passed: the banner names the port given, the example answers there, SIGTERM exits 0');
} catch (err) {
  status = 1;
  process.stderr.write(`demo-check: FAILED: ${err instanceof Failure ? err.message : (err?.stack ?? err)}\n`);
  stop('SIGKILL');
}
process.exit(status);
