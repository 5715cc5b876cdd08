#!/usr/bin/env node
// Proves a middleware author's whole path, as the README gives it before the
// packages are on npm: `node scripts/install.mjs` into an empty folder, then
// `npx create-middleware my-mw --from mcproxy-tarballs`, install, build, test
// and pack the new middleware, install it beside a pipeline file and call a
// tool through a real mcproxy to see it act. Exits non-zero on any failure.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Failure, root, run } from './packs.mjs';

const win = process.platform === 'win32';
const npm = win ? 'npm.cmd' : 'npm';
const npx = win ? 'npx.cmd' : 'npx';
const NAME = 'my-mw';
const started = Date.now();
const say = (what) => process.stderr.write(`middleware-kit [${((Date.now() - started) / 1000).toFixed(1)}s]: ${what}\n`);
const work = mkdtempSync(join(tmpdir(), 'mcproxy-middleware-kit-'));
let proxy;

// A tiny stdio MCP server, line-delimited JSON-RPC: two tools, `echo` and `secret`.
const SERVER = `
import { createInterface } from 'node:readline';
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
const tools = [{ name: 'echo', inputSchema: { type: 'object' } }, { name: 'secret', inputSchema: { type: 'object' } }];
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined || m.method === undefined) return;
  if (m.method === 'initialize') send({ id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'tiny', version: '1.0.0' } } });
  else if (m.method === 'tools/list') send({ id: m.id, result: { tools } });
  else if (m.method === 'tools/call') send({ id: m.id, result: { content: [{ type: 'text', text: 'echo: ' + (m.params.arguments?.text ?? '') }] } });
  else if (m.method === 'ping') send({ id: m.id, result: {} });
  else send({ id: m.id, error: { code: -32601, message: 'Method not found' } });
});
`;

/** Starts `npx mcproxy` in its own process group and resolves with the URL it listens on. */
function startProxy(cwd) {
  proxy = spawn(npx, ['mcproxy', '--config', 'pipeline.yaml', '--port', '0'], { cwd, stdio: ['ignore', 'ignore', 'pipe'], detached: !win });
  const stderr = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Failure(`mcproxy did not say it was listening within 60 s:\n${stderr.join('\n')}`)), 60_000);
    proxy.once('exit', (code) => reject(new Failure(`mcproxy exited (${code}) before listening:\n${stderr.join('\n')}`)));
    createInterface({ input: proxy.stderr }).on('line', (line) => {
      stderr.push(line);
      try {
        const l = JSON.parse(line);
        if (l.msg === 'listening' && typeof l.url === 'string') {
          clearTimeout(timer);
          resolve(l.url);
        }
      } catch {
        /* not a log line */
      }
    });
  });
}

/** One JSON-RPC message over streamable HTTP; the answer is read from JSON or from the SSE stream. */
async function post(url, message, session) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (session !== undefined) Object.assign(headers, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', ...message }), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (res.status >= 400) throw new Failure(`${message.method}: HTTP ${res.status}: ${text}`);
  if (message.id === undefined) return { session: res.headers.get('mcp-session-id') ?? session };
  const bodies = (res.headers.get('content-type') ?? '').includes('text/event-stream')
    ? text
        .split('\n')
        .filter((l) => l.startsWith('data:') && l.slice(5).trim() !== '')
        .map((l) => JSON.parse(l.slice(5)))
    : [JSON.parse(text)];
  const answer = bodies.find((b) => b.id === message.id);
  if (answer === undefined) throw new Failure(`${message.method}: no answer in ${text}`);
  return { session: res.headers.get('mcp-session-id') ?? session, answer };
}

function check(ok, what, got) {
  if (!ok) throw new Failure(`${what}; got ${JSON.stringify(got)}`);
  say(`ok: ${what}`);
}

async function main() {
  // The README's recipe, from an empty folder: one command installs mcproxy and the kit.
  const site = join(work, 'site');
  run(process.execPath, [join(root, 'scripts/install.mjs'), site], work, 'node scripts/install.mjs <empty folder>');
  check(
    existsSync(join(site, 'node_modules/.bin/mcproxy')) && existsSync(join(site, 'node_modules/.bin/create-middleware')),
    'install.mjs installed mcproxy and create-middleware into an empty folder',
    readdirSync(site),
  );

  run(npx, ['create-middleware', NAME, '--from', 'mcproxy-tarballs'], site, 'npx create-middleware --from mcproxy-tarballs');
  const mw = join(site, NAME);
  say(`scaffolded ${mw}`);
  run(npm, ['install', '--no-audit', '--no-fund'], mw, 'npm install in the scaffolded middleware');
  run(npm, ['run', 'build'], mw, 'npm run build');
  check(existsSync(join(mw, 'dist/index.js')) && existsSync(join(mw, 'dist/index.d.ts')), 'npm run build made dist/index.js and dist/index.d.ts');
  const tests = run(npm, ['test'], mw, 'npm test');
  say(
    `npm test: ${
      tests
        .split('\n')
        .find((l) => /Tests\s+\d/.test(l))
        ?.trim() ?? 'passed'
    }`,
  );
  const mwTarball = join(mw, run(npm, ['pack', '--silent'], mw, 'npm pack').trim().split('\n').pop());
  check(existsSync(mwTarball), `npm pack made ${mwTarball}`);

  run(npm, ['install', '--no-audit', '--no-fund', mwTarball], site, 'installing the middleware beside the pipeline file');
  writeFileSync(join(site, 'server.mjs'), SERVER);
  writeFileSync(
    join(site, 'pipeline.yaml'),
    [
      'upstreams:',
      `  tiny: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(join(site, 'server.mjs'))}] }`,
      'pipeline:',
      `  - use: ${NAME}`,
      '    with: { hide: [secret] }',
      '',
    ].join('\n'),
  );
  const url = await startProxy(site);
  say(`mcproxy listening on ${url}`);

  const init = await post(url, {
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'middleware-kit', version: '1' } },
  });
  check(init.answer.result !== undefined && init.session !== null, 'initialize answered with a session', init.answer);
  await post(url, { method: 'notifications/initialized' }, init.session);
  const list = await post(url, { id: 2, method: 'tools/list' }, init.session);
  const names = list.answer.result?.tools?.map((t) => t.name);
  check(JSON.stringify(names) === '["echo"]', `${NAME} hid "secret" from tools/list`, list.answer);
  const call = await post(url, { id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } }, init.session);
  check(call.answer.result?.content?.[0]?.text === `[${NAME}] echo: hi`, `${NAME} tagged the tool's text: "[${NAME}] echo: hi"`, call.answer);
  const hidden = await post(url, { id: 4, method: 'tools/call', params: { name: 'secret', arguments: {} } }, init.session);
  check(hidden.answer.error?.message === 'Unknown tool: secret', `${NAME} refused a call to the hidden tool`, hidden.answer);
}

/** Stops the proxy's whole process group (npx, mcproxy, the stdio server) and waits for it. */
async function reap() {
  if (proxy === undefined || proxy.exitCode !== null || proxy.signalCode !== null) return;
  const exited = new Promise((resolve) => proxy.once('exit', resolve));
  const kill = (signal) => {
    try {
      if (win) proxy.kill(signal);
      else process.kill(-proxy.pid, signal);
    } catch {
      /* already gone */
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

let status = 0;
try {
  await main();
  say('passed: scaffold → install → build → test → pack → install beside a pipeline file → use: through a real proxy');
} catch (err) {
  status = 1;
  process.stderr.write(`middleware-kit: FAILED: ${err instanceof Failure ? err.message : (err?.stack ?? err)}\n`);
} finally {
  await reap();
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
