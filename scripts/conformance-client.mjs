#!/usr/bin/env node
// Runs the 2026-07-28 *client* scenarios of the MCP conformance suite against
// mcproxy's upstream side. A proxy only acts when a client drives it, so each
// scenario's command is scripts/conformance-client-driver.mjs: it puts mcproxy
// in front of the scenario's server and plays the client through it.
//   node scripts/conformance-client.mjs [--protocols auto,2026-07-28] [--scenarios a,b] [--json FILE]
// --protocols: the `protocol` the upstream gets in mcproxy's pipeline file; auto
// (the default there) probes with server/discover, 2026-07-28 skips the probe.
// Results go to results/conformance-client-2026-07-28{.md,/}. Exit status is
// non-zero when a scored scenario that applies to a proxy fails, or when the
// suite lists a client scenario this script has not judged either way.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AUTH_APPLICABLE, AUTH_EXTENSIONS, AUTH_NOT_APPLICABLE } from './conformance-client-auth.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REVISION = '2026-07-28';
const NODE22 = 'node@22.23.3'; // the conformance CLI needs Node 22; the repo runs on 20
const SUITE_PKG = join(ROOT, 'packages/testing/node_modules/@modelcontextprotocol/conformance');
const DRIVER = join(ROOT, 'scripts/conformance-client-driver.mjs');
const PROXY = process.env.MCPROXY_BIN ?? join(ROOT, 'apps/cli/dist/bin.js');
const RESULTS = join(ROOT, 'results');
const OUT = join(RESULTS, `conformance-client-${REVISION}`);
const PROTOCOLS = ['auto', REVISION];
const SCENARIO_TIMEOUT_MS = 60_000;

/** What each applicable scenario checks of the proxy's upstream side. */
const APPLICABLE = {
  tools_call: 'a tools/call reaches the upstream with the arguments the client gave',
  'request-metadata': "every POST carries MCP-Protocol-Version and the client's envelope; -32022 is retried with a listed revision",
  'http-standard-headers': 'Mcp-Method and Mcp-Name on every POST, for tools, resources and prompts',
  'http-custom-headers': 'Mcp-Param-* mirrored from x-mcp-header annotations learned from tools/list, encoded as the revision says',
  'http-invalid-tool-headers': 'a tool with invalid x-mcp-header annotations is not offered, so never called',
  'sep-2322-client-request-state': 'input_required rounds: requestState echoed untouched, a fresh id per retry, nothing leaked into other calls',
  'json-schema-ref-no-deref': "a network $ref in a tool's inputSchema is never fetched",
  'json-schema-2020-12-preservation': 'tool schemas reach the client with every JSON Schema 2020-12 keyword kept',
  ...AUTH_APPLICABLE,
};
/** Why a whole family of scenarios does not apply. */
const NOT_APPLICABLE = [...Object.entries(AUTH_NOT_APPLICABLE).map(([scenario, why]) => ({ test: (name) => name === scenario, why }))];

const children = new Set();

/** A child in its own process group, its output kept; resolves `exited` with its exit code. */
function start(command, args, env) {
  const child = spawn(command, args, { cwd: ROOT, detached: true, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output.push(chunk));
  const exited = new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      output.push(Buffer.from(`spawn failed: ${error.message}\n`));
      resolve(null);
    });
  });
  children.add(child);
  exited.then(() => children.delete(child));
  return { child, exited, output: () => Buffer.concat(output).toString('utf8') };
}

function killGroup(pid, signal = 'SIGKILL') {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

process.on('exit', () => {
  for (const child of children) killGroup(child.pid);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping child processes\n`);
    process.exit(130);
  });
}

/** The client scenarios the revision requires, then those it runs without scoring, from the suite's own file. */
function clientScenarios() {
  const file = join(SUITE_PKG, 'requirements', `${REVISION}.yaml`);
  const scored = [];
  const notScored = new Map();
  let section = '';
  let pending;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (/^\S/.test(line)) section = line.replace(/:.*$/, '');
    const item = /^\s*-\s+(?:scenario:\s*)?([\w./-]+)\s*$/.exec(line);
    if (section === 'client' && item) scored.push(item[1]);
    if (section === 'not_scored' && item) pending = { name: item[1] };
    if (section === 'not_scored' && pending && /^\s+leg:\s*client\s*$/.test(line)) notScored.set(pending.name, '');
    const reason = /^\s+reason:\s*(\S+)/.exec(line);
    if (section === 'not_scored' && pending && reason && notScored.has(pending.name)) notScored.set(pending.name, reason[1]);
  }
  return { scored, notScored };
}

const shellQuote = (text) => `'${text.replace(/'/g, `'\\''`)}'`;

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Runs one scenario with the upstream pinned to `protocol`; returns its checks and what the driver saw. */
async function runScenario(name, protocol) {
  const runDir = join(OUT, protocol, name.replace(/\//g, '__'));
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const command = `${shellQuote(process.execPath)} ${shellQuote(DRIVER)}`;
  const args = [
    '-y',
    NODE22,
    join(SUITE_PKG, 'dist/index.js'),
    'client',
    '--scenario',
    name,
    '--spec-version',
    REVISION,
    '--command',
    command,
    '-o',
    join(runDir, 'raw'),
    ...(AUTH_EXTENSIONS.has(name) ? ['--force'] : []),
  ];
  const suite = start('npx', args, { MCPROXY_UPSTREAM_PROTOCOL: protocol, MCPROXY_CLIENT_RUN_DIR: runDir });
  const timer = setTimeout(() => killGroup(suite.child.pid, 'SIGTERM'), SCENARIO_TIMEOUT_MS);
  const code = await suite.exited;
  clearTimeout(timer);
  killGroup(suite.child.pid);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the suite's own log carries ANSI colour codes, removed here
  writeFileSync(join(runDir, 'suite.log'), suite.output().replace(/\u001b\[[0-9;]*m/g, ''));
  // The driver stops its mcproxy itself; one that was killed mid-play cannot, so reap it here.
  const pid = Number.parseInt(existsSync(join(runDir, 'mcproxy.pid')) ? readFileSync(join(runDir, 'mcproxy.pid'), 'utf8') : '', 10);
  if (Number.isInteger(pid) && pid > 0) killGroup(pid);

  const rawDir = join(runDir, 'raw');
  // The suite writes raw/<scenario>-<time>/checks.json; a scenario named auth/x nests it one folder deeper.
  const resultDir = existsSync(rawDir)
    ? readdirSync(rawDir, { recursive: true, encoding: 'utf8' }).find((d) => existsSync(join(rawDir, d, 'checks.json')))
    : undefined;
  const checks = resultDir === undefined ? [] : (readJson(join(rawDir, resultDir, 'checks.json')) ?? []);
  const driver = readJson(join(runDir, 'driver.json'));
  const count = (status) => checks.filter((c) => c.status === status).length;
  const problems = checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? c.description}`);
  let driverProblem;
  if (driver === undefined) driverProblem = `the driver left no driver.json (suite exit ${code}); see ${relative(ROOT, runDir)}/suite.log`;
  else if (!driver.ok) driverProblem = `the client could not finish its play: ${driver.error}`;
  const failed = count('FAILURE');
  return {
    status: checks.length === 0 || failed > 0 || driverProblem ? 'fail' : 'pass',
    passed: count('SUCCESS'),
    failed,
    warnings: count('WARNING'),
    problems: driverProblem ? [driverProblem, ...problems] : problems,
    clientStopped: driverProblem !== undefined,
    dir: relative(ROOT, runDir),
  };
}

function cell(result) {
  if (result === undefined) return '—';
  const counts = `${result.passed}/${result.passed + result.failed}${result.warnings ? ` ⚠${result.warnings}` : ''}`;
  return result.status === 'pass' ? `✅ ${counts}` : `❌ ${counts}${result.clientStopped ? ' (client stopped)' : ''}`;
}

function report({ protocols, runs, notScored, skipped, unclassified }) {
  const names = Object.keys(runs);
  const lines = [
    `# MCP conformance (${REVISION} client scenarios, against mcproxy's upstream side)`,
    '',
    "Each scenario's server is mcproxy's only upstream; a modern client plays the scenario through the proxy. Columns: the upstream's `protocol` in the pipeline file. Cells: checks passed/(passed+failed), ⚠ warnings.",
    '',
    `| scenario | ${protocols.join(' | ')} | what it checks of the proxy |`,
    `|---|${protocols.map(() => '---|').join('')}---|`,
  ];
  for (const name of names) {
    const label = notScored.has(name) ? `${name} (not scored: ${notScored.get(name)})` : name;
    lines.push(`| ${label} | ${protocols.map((p) => cell(runs[name][p])).join(' | ')} | ${APPLICABLE[name]} |`);
  }
  const details = names.flatMap((n) => protocols.filter((p) => runs[n][p]?.problems.length).map((p) => ({ n, p, r: runs[n][p] })));
  if (details.length > 0) {
    lines.push('', '## Failures and warnings', '');
    for (const { n, p, r } of details) lines.push(`- **${n}** (${p}; ${r.dir}):`, ...r.problems.map((x) => `  - ${x.replace(/\n/g, ' ')}`));
  }
  lines.push('', "## Not applicable to a proxy's upstream side", '');
  for (const { why, names: list } of skipped) lines.push(`- ${list.join(', ')}: ${why}`);
  if (unclassified.length > 0) lines.push('', '## Not judged (add them to APPLICABLE or NOT_APPLICABLE)', '', ...unclassified.map((n) => `- ${n}`));
  const failing = names.filter((n) => !notScored.has(n) && protocols.some((p) => runs[n][p]?.status !== 'pass'));
  const passingRuns = names.flatMap((n) => protocols.map((p) => runs[n][p])).filter((r) => r?.status === 'pass').length;
  lines.push(
    '',
    `conformance client (${REVISION}): ${passingRuns}/${names.length * protocols.length} runs passed; ${failing.length} scored scenario(s) failing; ${skipped.flatMap((s) => s.names).filter((n) => !notScored.has(n)).length} scored scenario(s) not applicable`,
  );
  return { markdown: `${lines.join('\n')}\n`, failing };
}

async function main() {
  const { values } = parseArgs({
    options: { protocols: { type: 'string' }, scenarios: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(
      `usage: node scripts/conformance-client.mjs [--protocols ${PROTOCOLS.join(',')}] [--scenarios ${Object.keys(APPLICABLE).join(',')}] [--json FILE]\n`,
    );
    return 0;
  }
  const protocols = (values.protocols ?? PROTOCOLS.join(','))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const badProtocol = protocols.filter((p) => !PROTOCOLS.includes(p));
  if (badProtocol.length > 0 || protocols.length === 0) throw new Error(`unknown --protocols ${badProtocol.join(', ')}; choose from ${PROTOCOLS.join(', ')}`);
  if (!existsSync(join(SUITE_PKG, 'dist/index.js'))) throw new Error(`conformance CLI not installed at ${relative(ROOT, SUITE_PKG)}: run pnpm install`);
  if (!existsSync(PROXY)) throw new Error(`${relative(ROOT, PROXY)} not found: build apps/cli first`);

  const { scored, notScored } = clientScenarios();
  const all = [...scored, ...notScored.keys()];
  const skipped = NOT_APPLICABLE.map(({ test, why }) => ({ why, names: all.filter(test) })).filter((s) => s.names.length > 0);
  const unclassified = all.filter((n) => !(n in APPLICABLE) && !NOT_APPLICABLE.some(({ test }) => test(n)));
  const wanted = values.scenarios
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = (wanted ?? []).filter((n) => !(n in APPLICABLE) || !all.includes(n));
  if (unknown.length > 0) throw new Error(`not an applicable ${REVISION} client scenario: ${unknown.join(', ')}`);
  const toRun = all.filter((n) => n in APPLICABLE && (wanted === undefined || wanted.includes(n)));

  rmSync(OUT, { recursive: true, force: true });
  const runs = {};
  for (const name of toRun) {
    runs[name] = {};
    for (const protocol of protocols) {
      process.stderr.write(`== ${name} (upstream protocol: ${protocol})\n`);
      runs[name][protocol] = await runScenario(name, protocol);
    }
  }
  const { markdown, failing } = report({ protocols, runs, scored, notScored, skipped, unclassified });
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `conformance-client-${REVISION}.md`), markdown);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ revision: REVISION, protocols, runs, notApplicable: skipped, unclassified }, null, 2)}\n`);
  process.stdout.write(`\n${markdown}`);
  if (failing.length > 0) process.stderr.write(`FAIL: ${failing.join(', ')} fail(s) through mcproxy\n`);
  if (unclassified.length > 0) process.stderr.write(`FAIL: the suite lists client scenarios not judged here: ${unclassified.join(', ')}\n`);
  return failing.length > 0 || unclassified.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`conformance-client: ${error.message}\n`);
    process.exit(2);
  },
);
