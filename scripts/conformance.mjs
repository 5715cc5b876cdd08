#!/usr/bin/env node
// Runs the official MCP server conformance suite against the fixture directly
// and through mcproxy, then compares the results.
//   node scripts/conformance.mjs [--requirements 2025-11-25|2026-07-28] [--targets direct,via-stdio,...] [--json FILE]
// 2025-11-25 (the default) uses the stateful fixture and eight targets. 2026-07-28
// uses the stateless fixture on the v2 SDK (modern-fixture-server) and five
// targets: direct, via-stdio, via-http, via-chain (two HTTP proxies in series) and bridge-2025-era;
// its results go to results/conformance-2026-07-28{.md,/}.
// The bridge targets put mcproxy between eras: bridge-2025-era (2026-07-28) runs
// the modern suite through mcproxy in front of the same fixture limited to the
// 2025 era (its input_required rounds become requests pushed during the call);
// bridge-modern-only (2025-11-25) runs the 2025 suite through mcproxy in front
// of the modern fixture limited to 2026-07-28. Both are scored against the
// direct run of their revision.
// via-stdio and via-http use each upstream kind's default link mode (shared for
// stdio, per-session for HTTP); the two -per-session/-shared targets the other.
// Exit status is non-zero when a scenario that passes directly fails through a
// proxy, or when the direct run passes nothing (so a broken harness cannot
// masquerade as "no regressions").
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Per revision: the fixture it runs against, its targets, where results go.
const REVISIONS = {
  '2025-11-25': {
    fixture: join(ROOT, 'packages/testing/dist/fixture-server.js'),
    targets: [
      'direct',
      'via-stdio',
      'via-http',
      'via-stdio-per-session',
      'via-http-shared',
      'via-pipeline',
      'via-chain',
      'bridge-modern-only',
      'bridge-modern-only-stdio',
    ],
    results: 'conformance',
  },
  '2026-07-28': {
    fixture: join(ROOT, 'packages/testing/dist/modern-fixture-server.js'),
    targets: ['direct', 'via-stdio', 'via-http', 'via-chain', 'bridge-2025-era', 'bridge-2025-era-stdio'],
    results: 'conformance-2026-07-28',
  },
};
const DEFAULT_REVISION = '2025-11-25';
/**
 * Scenarios a bridge target cannot pass however well it bridges, each with the
 * reason and the spec text that makes it so. They are reported, never counted
 * as regressions; anything else that passes directly must pass through the bridge.
 */
const KEY_NAMES =
  'the scenario asks for the key "user_name", which the fixture\'s tool picks; a 2025-era server pushes elicitation/create without a key, so the bridge names it itself ("inputRequests keys are server assigned identifiers", 2026-07-28 basic/patterns/mrtr)';
const CANNOT_BRIDGE = {
  'bridge-2025-era': { 'input-required-result-basic-elicitation': KEY_NAMES },
  'bridge-2025-era-stdio': { 'input-required-result-basic-elicitation': KEY_NAMES },
};
// Set once in main() from --requirements, before any target starts.
let REVISION = DEFAULT_REVISION;
let FIXTURE = REVISIONS[DEFAULT_REVISION].fixture;
const NODE22 = 'node@22.23.3'; // the conformance CLI needs Node 22; the repo runs on 20
const MODERN_FIXTURE = join(ROOT, 'packages/testing/dist/modern-fixture-server.js');
const SUITE_PKG = join(ROOT, 'packages/testing/node_modules/@modelcontextprotocol/conformance');
// MCPROXY_BIN swaps in another build of the proxy (e.g. an installed one).
const PROXY = process.env.MCPROXY_BIN ?? join(ROOT, 'apps/cli/dist/bin.js');
const RESULTS = join(ROOT, 'results');
const READY_TIMEOUT_MS = 20_000;
const SUITE_TIMEOUT_MS = 15 * 60_000;

const children = new Set();
const scratchDirs = [];

/**
 * Starts a child in its own process group so the whole tree (npx -> node, proxy
 * -> fixture) can be reaped. Both pipes are always drained, so a chatty child
 * can never block on a full pipe; `onLine` lets callers watch either stream.
 */
function start(command, args, logFile) {
  const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const log = [];
  const watchers = { stdout: new Set(), stderr: new Set() };
  for (const stream of ['stdout', 'stderr']) {
    createInterface({ input: child[stream] }).on('line', (line) => {
      if (stream === 'stderr') {
        tail.push(line);
        if (tail.length > 60) tail.shift();
      }
      log.push(stream === 'stdout' ? `[stdout] ${line}` : line);
      for (const watch of watchers[stream]) watch(line);
    });
  }
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A child that could not be spawned never emits 'exit'.
    child.once('error', (error) => {
      tail.push(`spawn failed: ${error.message}`);
      resolve({ code: null, signal: null });
    });
  });
  children.add(child);
  exited.then(() => children.delete(child));
  const onLine = (stream, watch) => {
    watchers[stream].add(watch);
    return () => watchers[stream].delete(watch);
  };
  return { child, tail, log, exited, onLine, flushLog: () => logFile && writeFileSync(logFile, `${log.join('\n')}\n`) };
}

async function stop(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.flushLog();
  const signal = (name) => {
    try {
      process.kill(-proc.child.pid, name);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const killer = setTimeout(() => signal('SIGKILL'), 3000);
  await proc.exited;
  clearTimeout(killer);
  signal('SIGKILL'); // stragglers left in the group after the leader exited
  proc.flushLog();
}

function killAllNow() {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping child processes\n`);
    killAllNow();
    for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

/** Resolves with the first URL `pick` finds in a JSON line on `stream`, or fails with the captured stderr. */
function waitForUrl(proc, stream, pick, what) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (action) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unwatch();
      action();
    };
    const fail = (why) => finish(() => reject(new Error(`${what} ${why}\n--- captured stderr ---\n${proc.tail.join('\n')}`)));
    const timer = setTimeout(() => fail(`did not report its URL within ${READY_TIMEOUT_MS / 1000}s`), READY_TIMEOUT_MS);
    proc.exited.then(({ code, signal }) => fail(`exited (code ${code}, signal ${signal}) before listening`));
    const unwatch = proc.onLine(stream, (line) => {
      let url;
      try {
        url = pick(JSON.parse(line));
      } catch {
        return;
      }
      if (typeof url === 'string') finish(() => resolve(url));
    });
  });
}

async function startFixtureHttp(logDir) {
  const proc = start(process.execPath, [FIXTURE, '--http', '--port', '0'], join(logDir, 'fixture.log'));
  const url = await waitForUrl(proc, 'stdout', (msg) => msg.url, 'fixture');
  return { proc, url };
}

async function startProxy(args, logDir) {
  if (!existsSync(PROXY)) throw new Error(`${relative(ROOT, PROXY)} not found: build apps/cli first`);
  const proc = start(process.execPath, [PROXY, ...args], join(logDir, 'mcproxy.log'));
  // mcproxy logs pino JSON to stderr; the listening line carries the full URL.
  const url = await waitForUrl(proc, 'stderr', (msg) => (msg.msg === 'listening' ? msg.url : undefined), 'mcproxy');
  return { proc, url };
}

/** Each target brings up its servers and returns the URL to test plus everything to stop afterwards. */
const TARGETS = {
  async direct(logDir) {
    const fixture = await startFixtureHttp(logDir);
    return { url: fixture.url, procs: [fixture.proc] };
  },
  async 'via-stdio'(logDir) {
    const proxy = await startProxy(['--port', '0', '--log-level', 'info', '--', process.execPath, FIXTURE, '--stdio'], logDir);
    return { url: proxy.url, procs: [proxy.proc] };
  },
  async 'via-http'(logDir) {
    return viaHttp(logDir, 'per-session');
  },
  // The other link mode for each upstream kind, so both modes are proven.
  async 'via-stdio-per-session'(logDir) {
    const upstream = [`    command: ${JSON.stringify(process.execPath)}`, `    args: [${JSON.stringify(FIXTURE)}, --stdio]`, '    mode: per-session'];
    const proxy = await startProxy(['--config', pipelineFile(upstream), '--log-level', 'info'], logDir);
    return { url: proxy.url, procs: [proxy.proc] };
  },
  async 'via-http-shared'(logDir) {
    return viaHttp(logDir, 'shared');
  },
  // All four built-in middlewares, with options that keep the fixture's names.
  async 'via-pipeline'(logDir) {
    const upstream = [`    command: ${JSON.stringify(process.execPath)}`, `    args: [${JSON.stringify(FIXTURE)}, --stdio]`];
    const pipeline = [
      'pipeline:',
      '  - use: logging',
      `    with: { destination: ${JSON.stringify(join(logDir, 'messages.log'))}, payloads: true, maxPayloadBytes: 2048, redact: [params.arguments.password] }`,
      '  - use: filter',
      '    with: { tools: { deny: ["never_*"] }, prompts: { deny: ["never_*"] }, resources: { deny: ["never://**"] } }',
      '  - use: rename',
      '    with: { tools: { test_simple_text: { description: "Returns a simple text (described by mcproxy)" } } }',
      '  - use: aggregate',
    ];
    const proxy = await startProxy(['--config', pipelineFile(upstream, pipeline), '--log-level', 'info'], logDir);
    return { url: proxy.url, procs: [proxy.proc] };
  },
  // Three proxies in series, one hop of each transport between them:
  // suite ─HTTP─► p1 ─SSE─► p2 ─stdio─► p3 ─HTTP─► fixture.
  async 'via-chain'(logDir) {
    const procs = [];
    try {
      const fixture = await startFixtureHttp(logDir);
      procs.push(fixture.proc);
      const p3 = writeConfig('p3', [
        'serve: { stdio: true }',
        'upstreams:',
        `  fixture: { url: ${fixture.url}, transport: streamable-http }`,
        'chain: { id: p3 }',
      ]);
      const p2 = writeConfig('p2', [
        'serve: { sse: { host: 127.0.0.1, port: 0 } }',
        'upstreams:',
        `  p3: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(PROXY)}, --config, ${JSON.stringify(p3)}, --log-level, info] }`,
        'chain: { id: p2 }',
      ]);
      const second = start(process.execPath, [PROXY, '--config', p2, '--log-level', 'info'], join(logDir, 'p2.log'));
      procs.push(second);
      const sse = await waitForUrl(second, 'stderr', (msg) => (msg.msg === 'proxy ready' ? msg.sse : undefined), 'mcproxy p2');
      const p1 = writeConfig('p1', [
        'serve: { http: { host: 127.0.0.1, port: 0 } }',
        'upstreams:',
        `  p2: { url: ${sse}, transport: sse }`,
        'chain: { id: p1 }',
      ]);
      const first = start(process.execPath, [PROXY, '--config', p1, '--log-level', 'info'], join(logDir, 'p1.log'));
      procs.push(first);
      const url = await waitForUrl(first, 'stderr', (msg) => (msg.msg === 'proxy ready' ? msg.url : undefined), 'mcproxy p1');
      return { url, procs };
    } catch (error) {
      await Promise.all(procs.map(stop));
      throw error;
    }
  },
};

/**
 * mcproxy over HTTP in front of the modern fixture limited to one era, itself
 * over HTTP: what a 2025-era server pushes during a call then travels on that
 * call's response stream, so the bridge knows which call it belongs to.
 */
async function bridged(logDir, era) {
  const fixture = start(process.execPath, [MODERN_FIXTURE, '--http', '--port', '0', '--era', era], join(logDir, 'fixture.log'));
  try {
    const url = await waitForUrl(fixture, 'stdout', (msg) => msg.url, 'fixture');
    const proxy = await startProxy(['--config', pipelineFile([`    url: ${url}`, '    transport: streamable-http']), '--log-level', 'info'], logDir);
    return { url: proxy.url, procs: [proxy.proc, fixture] };
  } catch (error) {
    await stop(fixture);
    throw error;
  }
}
TARGETS['bridge-modern-only'] = (logDir) => bridged(logDir, 'modern');
TARGETS['bridge-2025-era'] = (logDir) => bridged(logDir, 'legacy');

/**
 * The same fixture as a child process over stdio: nothing on that wire says
 * which call a pushed request or a log belongs to, and the suite runs its
 * scenarios concurrently, so the bridge must keep every call apart itself.
 */
async function bridgedStdio(logDir, era) {
  const proxy = await startProxy(['--port', '0', '--log-level', 'info', '--', process.execPath, MODERN_FIXTURE, '--stdio', '--era', era], logDir);
  return { url: proxy.url, procs: [proxy.proc] };
}
TARGETS['bridge-modern-only-stdio'] = (logDir) => bridgedStdio(logDir, 'modern');
TARGETS['bridge-2025-era-stdio'] = (logDir) => bridgedStdio(logDir, 'legacy');

/**
 * The 2026-07-28 targets that differ from their 2025 namesakes: the stateless
 * fixture is an HTTP upstream of one proxy, or of two proxies in series.
 */
const MODERN_TARGETS = {
  async 'via-http'(logDir) {
    const fixture = await startFixtureHttp(logDir);
    try {
      const proxy = await startProxy(['--config', pipelineFile([`    url: ${fixture.url}`]), '--log-level', 'info'], logDir);
      return { url: proxy.url, procs: [proxy.proc, fixture.proc] };
    } catch (error) {
      await stop(fixture.proc);
      throw error;
    }
  },
  // suite ─HTTP─► A ─HTTP─► B ─HTTP─► fixture: what a proxy forwards, the next must accept.
  async 'via-chain'(logDir) {
    const procs = [];
    try {
      const fixture = await startFixtureHttp(logDir);
      procs.push(fixture.proc);
      let upstream = fixture.url;
      for (const id of ['b', 'a']) {
        const config = writeConfig(id, [
          'serve: { http: { host: 127.0.0.1, port: 0 } }',
          'upstreams:',
          `  next: { url: ${upstream}, transport: streamable-http }`,
          `chain: { id: ${id} }`,
        ]);
        const proxy = start(process.execPath, [PROXY, '--config', config, '--log-level', 'info'], join(logDir, `proxy-${id}.log`));
        procs.push(proxy);
        upstream = await waitForUrl(proxy, 'stderr', (msg) => (msg.msg === 'proxy ready' ? msg.url : undefined), `mcproxy ${id}`);
      }
      return { url: upstream, procs };
    } catch (error) {
      await Promise.all(procs.map(stop));
      throw error;
    }
  },
};

/** The target named `name` for the revision under test. */
function targetFor(name) {
  return (REVISION === '2026-07-28' && MODERN_TARGETS[name]) || TARGETS[name];
}

/** A named pipeline file in a scratch folder. */
function writeConfig(name, lines) {
  const dir = mkdtempSync(join(tmpdir(), `mcproxy-conformance-${name}-`));
  scratchDirs.push(dir);
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, [...lines, ''].join('\n'));
  return file;
}

/** A pipeline file in a scratch folder: HTTP on a free port, one upstream named fixture. */
function pipelineFile(upstreamLines, extraLines = []) {
  const dir = mkdtempSync(join(tmpdir(), 'mcproxy-conformance-'));
  scratchDirs.push(dir);
  const config = join(dir, 'pipeline.yaml');
  writeFileSync(config, ['serve:', '  http: { host: 127.0.0.1, port: 0 }', 'upstreams:', '  fixture:', ...upstreamLines, ...extraLines, ''].join('\n'));
  return config;
}

async function viaHttp(logDir, mode) {
  const fixture = await startFixtureHttp(logDir);
  try {
    const config = pipelineFile([`    url: ${fixture.url}`, `    mode: ${mode}`]);
    const proxy = await startProxy(['--config', config, '--log-level', 'info'], logDir);
    return { url: proxy.url, procs: [proxy.proc, fixture.proc] };
  } catch (error) {
    await stop(fixture.proc);
    throw error;
  }
}

/** Scenario names the revision requires (scored and, unless `scoredOnly`, not scored), from the suite's own requirements file. */
function requiredScenarios(scoredOnly = false) {
  const file = join(SUITE_PKG, 'requirements', `${REVISION}.yaml`);
  if (!existsSync(file)) return [];
  const names = [];
  let section = '';
  let pending;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\S/.test(line)) section = line.replace(/:.*$/, '');
    const item = /^\s*-\s+(?:scenario:\s*)?([\w./-]+)\s*$/.exec(line);
    if (section === 'server' && item) names.push(item[1]);
    if (section === 'not_scored' && item) pending = item[1];
    if (!scoredOnly && section === 'not_scored' && /^\s+leg:\s*server\s*$/.test(line) && pending) names.push(pending);
  }
  return names;
}

/** Reads `<out>/server-<scenario>-<timestamp>/checks.json` into per-scenario verdicts. */
function readResults(outDir) {
  const scenarios = {};
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === 'checks.json') {
        const name = relative(outDir, dir)
          .replace(/^server-/, '')
          .replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
        const checks = JSON.parse(readFileSync(path, 'utf8'));
        const count = (status) => checks.filter((check) => check.status === status).length;
        const failed = count('FAILURE');
        scenarios[name] = {
          status: checks.length === 0 ? 'skipped' : failed === 0 ? 'pass' : 'fail',
          passed: count('SUCCESS'),
          failed,
          warnings: count('WARNING'),
          failures: checks.filter((check) => check.status === 'FAILURE').map((check) => `${check.id}: ${check.errorMessage ?? ''}`),
        };
      }
    }
  };
  if (existsSync(outDir)) walk(outDir);
  return scenarios;
}

async function runTarget(name) {
  const targetDir = join(RESULTS, REVISIONS[REVISION].results, name);
  rmSync(targetDir, { recursive: true, force: true });
  mkdirSync(join(targetDir, 'raw'), { recursive: true });
  process.stderr.write(`\n== ${name}: starting servers\n`);
  let setup;
  try {
    setup = await targetFor(name)(targetDir);
  } catch (error) {
    process.stderr.write(`== ${name}: could not start: ${error.message}\n`);
    return { error: error.message, scenarios: {} };
  }
  try {
    process.stderr.write(`== ${name}: running suite against ${setup.url}\n`);
    const suiteArgs = [join(SUITE_PKG, 'dist/index.js'), 'server', '--url', setup.url, '--requirements', REVISION, '-o', join(targetDir, 'raw')];
    const suite = start('npx', ['-y', NODE22, ...suiteArgs], join(targetDir, 'suite.log'));
    const timer = setTimeout(() => stop(suite), SUITE_TIMEOUT_MS);
    const { code } = await suite.exited;
    clearTimeout(timer);
    suite.flushLog();
    const scenarios = readResults(join(targetDir, 'raw'));
    if (Object.keys(scenarios).length === 0) {
      return { error: `suite produced no results (exit ${code}); see ${relative(ROOT, targetDir)}/suite.log`, scenarios };
    }
    return { scenarios };
  } finally {
    for (const proc of setup.procs) await stop(proc);
  }
}

function cell(result) {
  if (!result) return 'missing';
  const counts = `${result.passed}/${result.passed + result.failed}`;
  const warn = result.warnings ? ` ⚠${result.warnings}` : '';
  return result.status === 'pass' ? `✅ ${counts}${warn}` : result.status === 'fail' ? `❌ ${counts}${warn}` : 'skipped';
}

function report(targets, runs) {
  const names = [...new Set([...requiredScenarios(), ...targets.flatMap((t) => Object.keys(runs[t].scenarios))])];
  const lines = [
    `# MCP conformance (${REVISION} server requirements)`,
    '',
    `| scenario | ${targets.join(' | ')} |`,
    `|---|${targets.map(() => '---').join('|')}|`,
  ];
  for (const name of names) lines.push(`| ${name} | ${targets.map((t) => cell(runs[t].scenarios[name])).join(' | ')} |`);
  lines.push('');
  for (const t of targets) {
    const results = Object.values(runs[t].scenarios);
    const sum = (key) => results.reduce((total, r) => total + r[key], 0);
    const passing = results.filter((r) => r.status === 'pass').length;
    lines.push(
      `- **${t}**: ${passing}/${names.length} scenarios passed (${sum('passed')} checks passed, ${sum('failed')} failed, ${sum('warnings')} warnings)${runs[t].error ? ` — ERROR: ${runs[t].error.split('\n')[0]}` : ''}`,
    );
  }
  // A regression is a scenario that works on the bare fixture but not through a
  // proxy. Without a direct run there is no baseline, so every scenario counts.
  const hasBaseline = targets.includes('direct');
  const baseline = hasBaseline ? names.filter((n) => runs.direct.scenarios[n]?.status === 'pass') : names;
  const compared = hasBaseline ? targets.filter((t) => t !== 'direct') : targets;
  const regressions = [];
  for (const t of compared) {
    for (const n of baseline) {
      const result = runs[t].scenarios[n];
      if (result?.status === 'pass' || CANNOT_BRIDGE[t]?.[n] !== undefined) continue;
      regressions.push({ target: t, scenario: n, status: result?.status ?? 'missing', failures: result?.failures ?? [] });
    }
  }
  // Informational: still passing, but fewer checks succeed than on the bare
  // fixture (e.g. SSE polling checks downgraded to WARNING/INFO by the proxy).
  const degraded = hasBaseline
    ? compared.flatMap((t) =>
        baseline
          .filter((n) => runs[t].scenarios[n]?.status === 'pass' && runs[t].scenarios[n].passed < runs.direct.scenarios[n].passed)
          .map((n) => `${t} / ${n}`),
      )
    : [];
  const unbridgeable = compared.flatMap((t) =>
    Object.entries(CANNOT_BRIDGE[t] ?? {}).map(([n, why]) => `- ${t} / ${n} (${cell(runs[t].scenarios[n])}): ${why}`),
  );
  if (unbridgeable.length > 0) lines.push('', '## Cannot be bridged (not counted)', '', ...unbridgeable);
  if (degraded.length > 0) lines.push('', '## Passing with fewer successful checks than direct (not a failure)', '', ...degraded.map((d) => `- ${d}`));
  if (regressions.length > 0) {
    lines.push('', hasBaseline ? '## Regressions through the proxy' : '## Failures', '');
    for (const r of regressions) lines.push(`- ${r.target} / ${r.scenario}: ${r.status}${r.failures.length ? ` (${r.failures.join('; ')})` : ''}`);
  }
  return { markdown: `${lines.join('\n')}\n`, regressions, degraded };
}

async function main() {
  const { values } = parseArgs({
    options: { requirements: { type: 'string' }, targets: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    const lines = Object.entries(REVISIONS).map(([revision, { targets }]) => `  --requirements ${revision}: --targets ${targets.join(',')}`);
    process.stdout.write(`usage: node scripts/conformance.mjs [--requirements REVISION] [--targets T,...] [--json FILE]\n${lines.join('\n')}\n`);
    return 0;
  }
  REVISION = values.requirements ?? DEFAULT_REVISION;
  if (!REVISIONS[REVISION]) throw new Error(`unknown --requirements ${REVISION}; choose from ${Object.keys(REVISIONS).join(', ')}`);
  FIXTURE = REVISIONS[REVISION].fixture;
  const ALL_TARGETS = REVISIONS[REVISION].targets;
  const targets = (values.targets ?? ALL_TARGETS.join(','))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = targets.filter((t) => !ALL_TARGETS.includes(t));
  if (unknown.length > 0 || targets.length === 0) throw new Error(`unknown target(s): ${unknown.join(', ')}; choose from ${ALL_TARGETS.join(', ')}`);
  if (!existsSync(join(SUITE_PKG, 'dist/index.js'))) throw new Error(`conformance CLI not installed at ${relative(ROOT, SUITE_PKG)}: run pnpm install`);
  if (!existsSync(FIXTURE)) throw new Error(`${relative(ROOT, FIXTURE)} not found: build @mcproxy/testing first`);

  const runs = {};
  try {
    for (const target of targets) runs[target] = await runTarget(target);
  } finally {
    for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  }
  const { markdown, regressions, degraded } = report(targets, runs);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${REVISIONS[REVISION].results}.md`), markdown);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ revision: REVISION, targets: runs, regressions, degraded }, null, 2)}\n`);
  process.stdout.write(`\n${markdown}`);

  const directPassed = targets.includes('direct') ? Object.values(runs.direct.scenarios).filter((r) => r.status === 'pass').length : undefined;
  if (directPassed === 0) process.stderr.write('FAIL: the direct run passed no scenarios; the harness itself is broken\n');
  if (regressions.length > 0)
    process.stderr.write(`FAIL: ${regressions.length} scenario(s) ${targets.includes('direct') ? 'pass directly but fail through the proxy' : 'fail'}\n`);
  // One closing line that any CI reader understands: runs of the scenarios this revision
  // requires, over all targets, and apart from them the ones it does not score.
  const required = new Set(requiredScenarios(true));
  const all = Object.values(runs).flatMap((r) => Object.entries(r.scenarios));
  const count = (scored) => {
    const runs = all.filter(([name]) => required.has(name) === scored);
    const passed = runs.filter(([, r]) => r.status === 'pass').length;
    return `${passed} passed, ${runs.length - passed} failed`;
  };
  process.stdout.write(`\nconformance (${REVISION}): required ${count(true)}; not scored ${count(false)}\n`);
  return directPassed === 0 || regressions.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`conformance: ${error.message}\n`);
    process.exit(2);
  },
);
