#!/usr/bin/env node
// Runs a task on a machine that has only Node and npm: fetches the pnpm the
// repo pins, installs, builds, then runs the task. `npm run demo` and
// `npm test` (the README's two commands) both start here, and so does `pnpm bench`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager; // "pnpm@x.y.z"
const win = process.platform === 'win32';

function pnpmCommand() {
  const have = spawnSync(win ? 'pnpm.cmd' : 'pnpm', ['--version'], { encoding: 'utf8' });
  if (have.status === 0 && `pnpm@${have.stdout.trim()}` === pinned) return [win ? 'pnpm.cmd' : 'pnpm'];
  return [win ? 'npx.cmd' : 'npx', '-y', pinned];
}

const pnpm = pnpmCommand();

function run(args, what) {
  process.stderr.write(`\n> ${what}\n`);
  const r = spawnSync(pnpm[0], [...pnpm.slice(1), ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`\n${what} failed (exit ${r.status ?? r.signal}).\n`);
    process.exit(r.status ?? 1);
  }
}

/**
 * The conformance arguments for a second revision: --targets are per revision
 * and are dropped, and a --json file gets the revision in its name.
 */
function conformanceArgsFor(revision, args) {
  const out = ['--requirements', revision];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--targets') i++;
    else if (args[i] === '--json' && i + 1 < args.length) out.push('--json', args[++i].replace(/(\.json)?$/, `.${revision}.json`));
    else out.push(args[i]);
  }
  return out;
}

/**
 * Debian packages the tests drive: `chromium` (the dashboard's browser
 * test), `redis-server` and `haproxy` (the shared store and the replicas
 * behind a load balancer). On CI (CI set, running as root, apt-get
 * present) the missing ones are installed, with one apt-get install;
 * elsewhere we say how, and each test names what it lacks.
 */
function ensureDebianPackages() {
  const wanted = [
    { pkg: 'chromium', path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', why: "the dashboard's browser test needs it (or set CHROMIUM_PATH)" },
    { pkg: 'redis-server', path: '/usr/bin/redis-server', why: 'the store and replica tests run a real Redis' },
    { pkg: 'haproxy', path: '/usr/sbin/haproxy', why: 'the replica tests put three replicas behind it' },
  ];
  const missing = wanted.filter((w) => !existsSync(w.path));
  if (missing.length === 0) return;
  const ci = process.env.CI && !['', '0', 'false'].includes(process.env.CI);
  const root = process.getuid?.() === 0;
  if (!ci || !root || !existsSync('/usr/bin/apt-get')) {
    for (const w of missing) process.stderr.write(`\n> no ${w.pkg} at ${w.path}: ${w.why} (apt-get install ${w.pkg})\n`);
    return;
  }
  const names = missing.map((w) => w.pkg);
  process.stderr.write(`\n> installing ${names.join(', ')} (Debian packages) for the tests\n`);
  const started = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-q'],
    ['install', '-y', '-q', '--no-install-recommends', ...names],
  ]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) {
      process.stderr.write(`\napt-get ${args[0]} failed (exit ${r.status ?? r.signal}).\n`);
      process.exit(r.status ?? 1);
    }
  }
  process.stderr.write(`> ${names.join(', ')} installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/**
 * Where the demo will listen, for its banner: the --port/-p and --host given
 * after `npm run demo --` (the CLI's defaults otherwise), so the banner never
 * names a port the proxy is not on. Port 0 is only known once it listens.
 */
function demoWhere(args) {
  const value = (long, short) => {
    let found;
    for (let i = 0; i < args.length; i++) {
      if (args[i] === long || (short && args[i] === short)) found = args[i + 1];
      else if (args[i].startsWith(`${long}=`)) found = args[i].slice(long.length + 1);
    }
    return found;
  };
  const port = value('--port', '-p') ?? '8080';
  const host = value('--host') ?? '127.0.0.1';
  const path = value('--path') ?? '/mcp';
  if (port === '0') return 'on a free port (its URL is in the "proxy ready" line)';
  return `on http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
}

process.env.TURBO_TELEMETRY_DISABLED ??= '1';
// A CI log is read as plain text: no colour codes from turbo, vitest, pnpm or
// Node. NO_COLOR is the one switch they all honour; FORCE_COLOR goes, because
// it would win over NO_COLOR in some tools and Node warns when both are set.
if (process.env.CI && !['', '0', 'false'].includes(process.env.CI)) {
  process.env.NO_COLOR = '1';
  delete process.env.FORCE_COLOR;
}
const [task, ...rest] = process.argv.slice(2);
run(['install', ...(process.env.CI ? ['--frozen-lockfile'] : [])], 'installing dependencies');

if (task === 'demo') {
  // esbuild, not tsc: a second instead of minutes; `npm test` builds and typechecks with tsc.
  const built = spawnSync(process.execPath, [join(root, 'scripts/transpile.mjs'), '@mcproxy/cli'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
  const bin = join(root, 'apps/cli/dist/bin.js');
  if (!existsSync(bin)) throw new Error(`the build did not produce ${bin}`);
  const args = rest.filter((a) => a !== '--');
  process.stderr.write(`\n> mcproxy --example: the example server behind the proxy, ${demoWhere(args)} (Ctrl-C stops it)\n`);
  const child = spawn(process.execPath, [bin, '--example', ...args], { cwd: root, stdio: 'inherit' });
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
} else if (task === 'test') {
  ensureDebianPackages();
  // Formatting and Biome's lint over the whole tree (scripts included); each package's lint adds our own rules.
  run(['exec', 'biome', 'check', '.'], 'formatting and lint (Biome)');
  run(
    ['exec', 'turbo', 'run', 'build', 'typecheck', 'lint', 'test', '--output-logs=new-only', '--concurrency=1'],
    'build, typecheck, lint, unit, transport and end-to-end tests',
  );
  // The README's install from this checkout into an empty folder, then a middleware author's path: scaffold, build, test, pack, use it through a proxy.
  const kitStatus = spawnSync(process.execPath, [join(root, 'scripts/middleware-kit.mjs')], { cwd: root, stdio: 'inherit' }).status ?? 1;
  // Both protocol revisions, 2025-11-25 first; any run failing fails the task.
  // An explicit --requirements runs just that one.
  const runs = rest.includes('--requirements') ? [rest] : [rest, conformanceArgsFor('2026-07-28', rest)];
  // The public packages as npm would install them: packed, into an empty folder, no workspace.
  const packed = spawnSync(process.execPath, [join(root, 'scripts/pack-install.mjs')], { cwd: root, stdio: 'inherit' }).status ?? 1;
  // The Dockerfile's pack and npm install steps, outside a container, and the documented container pipeline started.
  const docker = spawnSync(process.execPath, [join(root, 'scripts/dockerfile-check.mjs')], { cwd: root, stdio: 'inherit' }).status ?? 1;
  const statuses = [
    packed,
    docker,
    ...runs.map((args) => spawnSync(process.execPath, [join(root, 'scripts/conformance.mjs'), ...args], { cwd: root, stdio: 'inherit' }).status ?? 1),
  ];
  // Then, when 2026-07-28 ran, its client scenarios against the proxy's upstream side.
  const requested = rest.includes('--requirements') ? rest[rest.indexOf('--requirements') + 1] : '2026-07-28';
  if (requested === '2026-07-28') {
    const json = rest.indexOf('--json');
    const clientArgs = json >= 0 && json + 1 < rest.length ? ['--json', rest[json + 1].replace(/(\.2026-07-28)?(\.json)?$/, '.client-2026-07-28.json')] : [];
    statuses.push(spawnSync(process.execPath, [join(root, 'scripts/conformance-client.mjs'), ...clientArgs], { cwd: root, stdio: 'inherit' }).status ?? 1);
  }
  // Last, since it rebuilds dist with esbuild (the declarations tsc wrote stay): the README's first command, with a port of its own.
  statuses.push(spawnSync(process.execPath, [join(root, 'scripts/demo-check.mjs')], { cwd: root, stdio: 'inherit' }).status ?? 1);
  process.exit(Math.max(kitStatus, ...statuses));
} else if (task === 'bench') {
  run(['exec', 'turbo', 'run', 'build', '--filter=@mcproxy/bench...', '--output-logs=errors-only'], 'building');
  const r = spawnSync(process.execPath, [join(root, 'bench/dist/main.js'), ...rest.filter((a) => a !== '--')], { cwd: join(root, 'bench'), stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  process.stderr.write('usage: node scripts/bootstrap.mjs demo|test|bench\n');
  process.exit(2);
}
