#!/usr/bin/env node
// Proves a middleware author's whole path with the packages as npm would hand
// them out: scaffold with @mcproxy/create-middleware, install, build, test and
// pack the new middleware, then install it beside a pipeline file with the
// mcproxy CLI and call a tool through a real proxy to see it act. Expects
// `turbo run build` to have run. Exits non-zero on any failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const win = process.platform === 'win32';
const npm = win ? 'npm.cmd' : 'npm';
const npx = win ? 'npx.cmd' : 'npx';
const NAME = 'my-mw';
const started = Date.now();
const say = (what) => process.stderr.write(`middleware-kit [${((Date.now() - started) / 1000).toFixed(1)}s]: ${what}\n`);
const work = mkdtempSync(join(tmpdir(), 'mcproxy-middleware-kit-'));
let proxy;

class Failure extends Error {}

/** Runs to the end; output is shown only when it fails. */
function run(cmd, args, cwd, what) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  if (r.status !== 0) throw new Failure(`${what} failed (exit ${r.status ?? r.signal}): ${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}`.trimEnd());
  return r.stdout;
}

/** Every workspace package by name. */
function workspace() {
  const out = new Map();
  for (const group of ['packages', 'apps']) {
    for (const dir of readdirSync(join(root, group))) {
      const file = join(root, group, dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8'));
        out.set(pkg.name, { dir: join(root, group, dir), pkg });
      }
    }
  }
  return out;
}

/** `names` and every workspace package they depend on at run time. */
function withDependencies(all, names) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of Object.keys({ ...all.get(name).pkg.dependencies, ...all.get(name).pkg.peerDependencies })) if (all.has(dep)) visit(dep);
  };
  names.forEach(visit);
  return [...seen];
}

function pnpm() {
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
  const have = spawnSync(win ? 'pnpm.cmd' : 'pnpm', ['--version'], { encoding: 'utf8' });
  return have.status === 0 && `pnpm@${have.stdout.trim()}` === pinned ? [win ? 'pnpm.cmd' : 'pnpm'] : [npx, '-y', pinned];
}

/** Packs with pnpm (workspace ranges become versions, publishConfig applies); returns the tarball of each package. */
function packAll(all, names, dest) {
  const [cmd, ...pre] = pnpm();
  const tarballs = new Map();
  for (const name of names) {
    const { dir, pkg } = all.get(name);
    if (!existsSync(join(dir, 'dist'))) throw new Failure(`${name} is not built: run turbo run build first`);
    run(cmd, [...pre, 'pack', '--pack-destination', dest], dir, `packing ${name}`);
    const file = join(dest, `${name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`);
    if (!existsSync(file)) throw new Failure(`packing ${name} made no ${file}`);
    tarballs.set(name, file);
  }
  return tarballs;
}

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
  const all = workspace();
  const dest = join(work, 'tarballs');
  mkdirSync(dest);
  const tarballs = packAll(all, withDependencies(all, ['@mcproxy/core', '@mcproxy/test-kit', '@mcproxy/create-middleware', '@mcproxy/cli']), dest);
  say(`packed ${[...tarballs.keys()].join(', ')}`);

  run(npm, ['exec', '--yes', `--package=${tarballs.get('@mcproxy/create-middleware')}`, '--', 'create-middleware', NAME], work, 'scaffolding');
  const mw = join(work, NAME);
  say(`scaffolded ${mw}`);

  // @mcproxy/* are not on the registry yet: the scaffolded ranges are pointed at the tarballs for the install only.
  const manifest = readFileSync(join(mw, 'package.json'), 'utf8');
  const pkg = JSON.parse(manifest);
  for (const name of ['@mcproxy/core', '@mcproxy/test-kit']) pkg.devDependencies[name] = `file:${tarballs.get(name)}`;
  writeFileSync(join(mw, 'package.json'), JSON.stringify(pkg, null, 2));
  run(npm, ['install', '--no-audit', '--no-fund'], mw, 'npm install in the scaffolded middleware');
  writeFileSync(join(mw, 'package.json'), manifest);
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

  const site = join(work, 'site');
  mkdirSync(site);
  writeFileSync(join(site, 'package.json'), JSON.stringify({ name: 'site', private: true, type: 'module' }));
  const cliSide = withDependencies(all, ['@mcproxy/cli']).map((n) => tarballs.get(n));
  run(npm, ['install', '--no-audit', '--no-fund', ...cliSide, mwTarball], site, 'installing the cli tarballs and the middleware');
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
