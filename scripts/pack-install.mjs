#!/usr/bin/env node
// Proves the public packages work as a stranger gets them: packed by pnpm
// (workspace:* rewritten to versions, publishConfig applied), installed with
// plain npm into an empty folder, no workspace links. The check expects
// `turbo run build` to have run and builds nothing; `npm test` runs it after
// the unit tests. --pack-to builds (tsc, turbo's cache) what it packs.
//
//   node scripts/pack-install.mjs                              pack, install, check, dry-run publish
//   node scripts/pack-install.mjs --pack-to DIR [--for PKG]    build and pack the public packages (or PKG and what it needs) into DIR
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildForPacking, Failure, pack as packInto, pnpmCommand, publicPackages, root, run, TINY_SERVER, withDependencies } from './packs.mjs';

const win = process.platform === 'win32';
const npm = win ? 'npm.cmd' : 'npm';
const npx = win ? 'npx.cmd' : 'npx';
const children = new Set();
let work;

const started = Date.now();
const step = (what) => process.stderr.write(`pack-install [${((Date.now() - started) / 1000).toFixed(1)}s]: ${what}\n`);

/** Packs `packages` into `dest`; the tarballs' paths. */
const pack = (packages, dest) => [...packInto(packages, dest).values()];

/** Starts mcproxy and resolves with its URL once it logs that it is ready. */
function startProxy(bin, args, cwd) {
  // Its own process group, so a failed check can reap the upstreams it started too.
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: !win });
  children.add(child);
  const exited = new Promise((res) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      res({ code, signal });
    }),
  );
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  const ready = new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Failure(`mcproxy ${args.join(' ')} did not log "proxy ready" within 20 s:\n${stderr}`)), 20_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      for (const line of stderr.split('\n')) {
        if (!line.includes('"proxy ready"')) continue;
        clearTimeout(timer);
        res(JSON.parse(line).url);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Failure(`mcproxy ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${stderr}`));
    });
  });
  return { child, ready, exited, output: () => stdout + stderr };
}

/** SIGTERM, then the exit status must be 0 within 10 s. */
async function stopProxy(proxy, what) {
  proxy.child.kill('SIGTERM');
  const timeout = new Promise((res) => setTimeout(() => res({ code: 'timeout' }), 10_000));
  const { code, signal } = await Promise.race([proxy.exited, timeout]);
  if (code !== 0) throw new Failure(`${what}: on SIGTERM mcproxy ended with ${code ?? signal}, not exit 0:\n${proxy.output()}`);
}

/** A minimal MCP client over streamable HTTP with raw fetch: one session, JSON or SSE replies. */
function httpClient(url) {
  let session;
  let nextId = 1;
  return async function rpc(method, params, { notification = false } = {}) {
    const id = notification ? undefined : nextId++;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', method, ...(params ? { params } : {}), ...(id !== undefined ? { id } : {}) }),
    });
    session ??= res.headers.get('mcp-session-id') ?? undefined;
    const text = await res.text();
    if (!res.ok) throw new Failure(`${method}: HTTP ${res.status} ${text}`);
    if (notification) return undefined;
    const bodies = (res.headers.get('content-type') ?? '').includes('text/event-stream')
      ? text
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .filter(Boolean)
      : [text];
    const reply = bodies.map((b) => JSON.parse(b)).find((m) => m.id === id);
    if (!reply) throw new Failure(`${method}: no reply with id ${id} in ${text}`);
    if (reply.error) throw new Failure(`${method}: error ${JSON.stringify(reply.error)}`);
    return reply.result;
  };
}

async function handshake(url) {
  const rpc = httpClient(url);
  await rpc('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'pack-install', version: '0' } });
  await rpc('notifications/initialized', undefined, { notification: true });
  return rpc;
}

/** The files a published package.json points at: exports (every condition), main, types, bin. */
function namedFiles(pkg) {
  const out = [];
  const walk = (v) => {
    if (typeof v === 'string') {
      if (!v.includes('*')) out.push(v);
    } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  walk(pkg.main);
  walk(pkg.types);
  walk(typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin ?? {}));
  return out;
}

/** Every source file the .map files under dir name, as absolute paths. */
function mapSources(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.map') && !f.split(/[\\/]/).includes('node_modules'))
    .flatMap((f) => {
      const map = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      return (map.sources ?? []).map((src) => resolve(dir, dirname(f), map.sourceRoot ?? '', src));
    });
}

const toolNames = (result) => result.tools.map((t) => t.name).sort();
const expect = (ok, what) => {
  if (!ok) throw new Failure(what);
};

async function main() {
  const args = process.argv.slice(2);
  const packages = publicPackages();
  if (args[0] === '--pack-to') {
    if (!args[1] || args[1].startsWith('-')) throw new Failure('--pack-to needs a folder');
    // --for @mcproxy/cli: only that package and what it needs at run time (the Dockerfile's image).
    const only = args[2] === '--for' ? args[3] : undefined;
    if (args[2] !== undefined && only === undefined) throw new Failure(`unexpected ${args.slice(2).join(' ')}: --pack-to <folder> [--for <package>]`);
    const chosen = only === undefined ? packages : withDependencies([only]).filter(({ pkg }) => !pkg.private);
    if (chosen.length === 0) throw new Failure(`--for ${only}: no such public package`);
    const dest = resolve(args[1]);
    mkdirSync(dest, { recursive: true });
    buildForPacking(chosen);
    for (const t of pack(chosen, dest)) process.stdout.write(`${t}\n`);
    return;
  }
  const cli = packages.find(({ pkg }) => pkg.bin?.mcproxy);
  if (!cli) throw new Failure('no public package has the mcproxy bin');
  work = mkdtempSync(join(tmpdir(), 'mcproxy-pack-'));
  const tarDir = join(work, 'tarballs');
  const app = join(work, 'app');
  mkdirSync(tarDir);
  mkdirSync(app);

  step(`packing ${packages.map(({ pkg }) => pkg.name).join(', ')}`);
  const tarballs = pack(packages, tarDir);

  step('installing every tarball with npm into an empty folder');
  run(npm, ['init', '-y'], app, 'npm init');
  run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], app, 'npm install');
  const bin = join(app, 'node_modules', '.bin', win ? 'mcproxy.cmd' : 'mcproxy');
  expect(existsSync(bin), `npm did not link the mcproxy bin (${bin})`);
  const shipped = join(app, 'node_modules', ...cli.pkg.name.split('/'));
  const binFile = join(shipped, cli.pkg.bin.mcproxy);

  step('every file each installed package.json names is in its tarball; every package imports by name');
  for (const { pkg } of packages) {
    const dir = join(app, 'node_modules', ...pkg.name.split('/'));
    const missing = namedFiles(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).filter((f) => !existsSync(join(dir, f)));
    expect(missing.length === 0, `${pkg.name} names files its tarball lacks (check "files"): ${missing.join(', ')}`);
    const unmapped = mapSources(dir).filter((f) => !existsSync(f));
    expect(
      unmapped.length === 0,
      `${pkg.name}'s source maps name files its tarball lacks (check "files"; or dist holds output of a since-deleted source: delete dist and build again): ${[...new Set(unmapped)].slice(0, 3).join(', ')}`,
    );
  }
  const names = packages.filter(({ pkg }) => pkg.exports?.['.'] ?? pkg.main).map(({ pkg }) => pkg.name);
  const importAll = `for (const n of ${JSON.stringify(names)}) await import(n).catch((e) => { console.error(n + ': ' + e.message); process.exitCode = 1; });`;
  run(process.execPath, ['--input-type=module', '-e', importAll], app, 'importing the installed packages');

  step('npx mcproxy --version');
  const version = run(npx, ['mcproxy', '--version'], app, 'npx mcproxy --version').trim();
  expect(version === cli.pkg.version, `npx mcproxy --version printed "${version}", not ${cli.pkg.version}`);

  // npx puts npm and a shell between us and mcproxy and does not pass SIGTERM
  // through, so the servers are started from the file npx would run.
  step('mcproxy --example --port 0: initialize, tools/list, SIGTERM');
  const example = startProxy(binFile, ['--example', '--port', '0'], app);
  const exampleUrl = await example.ready;
  const exampleTools = toolNames(await (await handshake(exampleUrl))('tools/list'));
  expect(exampleTools.includes('echo'), `the example's tools/list lacks echo: ${exampleTools.join(', ')}`);
  await stopProxy(example, '--example');

  step('a pipeline with logging, rename, aggregate and filter by short name: tools/list, tools/call, SIGTERM');
  const elsewhere = join(work, 'pipeline');
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'tiny-server.mjs'), TINY_SERVER);
  const logFile = join(elsewhere, 'mcp.log');
  const pipeline = {
    serve: { http: { host: '127.0.0.1', port: 0 } },
    upstreams: {
      example: { command: process.execPath, args: [join(shipped, 'dist', 'example', 'main.js')] },
      tiny: { command: process.execPath, args: ['./tiny-server.mjs'], cwd: '.' },
    },
    pipeline: [
      { use: 'logging', with: { destination: logFile, payloads: true } },
      { use: 'rename', with: { tools: { shout: { name: 'yell' } } } },
      { use: 'aggregate', with: { prefix: 'collision' } },
      { use: 'filter', with: { tools: { deny: ['fail'] } } },
    ],
  };
  // Away from the install, so the short names resolve from the CLI's own dependencies.
  writeFileSync(join(elsewhere, 'pipeline.json'), JSON.stringify(pipeline, null, 2));
  const proxy = startProxy(binFile, ['--config', join(elsewhere, 'pipeline.json')], elsewhere);
  const rpc = await handshake(await proxy.ready);
  const tools = toolNames(await rpc('tools/list'));
  expect(
    tools.includes('yell') && tools.includes('echo') && !tools.includes('fail') && !tools.includes('shout'),
    `tools/list through the pipeline should have yell and echo, not fail or shout: ${tools.join(', ')}`,
  );
  const called = await rpc('tools/call', { name: 'yell', arguments: { text: 'through the pipeline' } });
  expect(called.content?.[0]?.text === 'THROUGH THE PIPELINE', `tools/call yell answered ${JSON.stringify(called)}`);
  await stopProxy(proxy, 'the pipeline');
  const logged = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  expect(logged.includes('tools/call'), `the logging middleware wrote no tools/call line to ${logFile}`);

  // changeset publish has no dry run; for pnpm it runs `pnpm publish` per
  // unpublished public package, which is what this does without uploading.
  step('pnpm publish -r --dry-run --no-git-checks (what changeset publish would run)');
  const pnpm = pnpmCommand();
  const dry = run(pnpm[0], [...pnpm.slice(1), 'publish', '-r', '--dry-run', '--no-git-checks', '--access', 'public'], root, 'pnpm publish --dry-run');
  // pnpm skips versions the registry already has, as changeset publish does.
  const would = packages.filter(({ pkg }) => dry.includes(`+ ${pkg.name}@${pkg.version}`)).length;
  step(`the dry run would publish ${would} of ${packages.length} packages (the rest are on the registry at their version)`);

  step(`ok: ${packages.length} packages install from their tarballs and work (mcproxy ${version})`);
}

function cleanUp() {
  for (const child of children) {
    try {
      if (win) child.kill('SIGKILL');
      else process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    cleanUp();
    process.exit(1);
  });
main().then(
  () => {
    cleanUp();
  },
  (err) => {
    cleanUp();
    process.stderr.write(`pack-install: FAILED: ${err instanceof Failure ? err.message : (err?.stack ?? err)}\n`);
    process.exit(1);
  },
);
