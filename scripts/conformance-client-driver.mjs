#!/usr/bin/env node
// The "client" the conformance suite runs for one client scenario
// (`conformance client --command "node scripts/conformance-client-driver.mjs"`):
// mcproxy with the scenario's server as its only upstream, and in front of it a
// modern client that plays the scenario. The suite judges what mcproxy's
// upstream side sends; this script only brings it about.
//
// From the suite: the server URL as the last argument, MCP_CONFORMANCE_SCENARIO,
// MCP_CONFORMANCE_CONTEXT (JSON, some scenarios). From scripts/conformance-client.mjs:
//   MCPROXY_UPSTREAM_PROTOCOL  the upstream's `protocol` (default auto)
//   MCPROXY_CLIENT_RUN_DIR     where mcproxy's log, its pid and driver.json go
//   MCPROXY_BIN                another build of the proxy
// Exit status 0 when the play went through, 1 when the proxy's answers stopped it.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AUTH_REFUSALS, authPipeline, authPlay, DRIVER_KEY } from './conformance-client-auth.mjs';
import { PLAYS } from './conformance-client-plays.mjs';
import { modernClient } from './conformance-client-wire.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PROXY = process.env.MCPROXY_BIN ?? join(ROOT, 'apps/cli/dist/bin.js');
const READY_TIMEOUT_MS = 10_000;
// The suite's own deadline is 30 s; finishing first leaves time to stop the proxy.
const PLAY_DEADLINE_MS = 20_000;
const CAPABILITIES = { elicitation: {}, sampling: {}, roots: {} };
// A client that can send its user to a URL: how an auth/* scenario's authorization reaches the driver.
const AUTH_CAPABILITIES = { elicitation: { form: {}, url: {} } };
const CLIENT_INFO = { name: 'mcproxy-conformance-driver', version: '1.0.0' };

const url = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');
const isAuth = scenario.startsWith('auth/');
const expectRefusal = AUTH_REFUSALS.has(scenario);
const protocol = process.env.MCPROXY_UPSTREAM_PROTOCOL ?? 'auto';
const runDir = process.env.MCPROXY_CLIENT_RUN_DIR ?? mkdtempSync(join(tmpdir(), 'mcproxy-client-run-'));
const scratch = mkdtempSync(join(tmpdir(), 'mcproxy-client-driver-'));
mkdirSync(runDir, { recursive: true });

let proxy;

/** Ends mcproxy's process group: SIGTERM, then SIGKILL for whatever is left after 3 s. */
async function stopProxy() {
  if (proxy === undefined) return;
  const { child, exited, drained, log } = proxy;
  const signal = (name) => {
    try {
      process.kill(-child.pid, name);
    } catch {
      /* gone */
    }
  };
  if (child.exitCode === null && child.signalCode === null) {
    signal('SIGTERM');
    const killer = setTimeout(() => signal('SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  }
  signal('SIGKILL');
  // Its last lines (the shutdown) are the ones a failure report most often needs.
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000))]);
  await new Promise((resolve) => log.end(resolve));
}

/** mcproxy on 127.0.0.1:0 with the scenario's server as its one upstream; resolves with its URL. */
function startProxy() {
  const config = join(scratch, 'pipeline.yaml');
  const plain = [
    'serve:',
    '  http: { host: 127.0.0.1, port: 0 }',
    'upstreams:',
    `  scenario: { url: ${JSON.stringify(url)}, protocol: ${JSON.stringify(protocol)} }`,
    '',
  ];
  writeFileSync(config, (isAuth ? authPipeline(url, protocol, scenario, context) : plain).join('\n'));
  const log = createWriteStream(join(runDir, 'mcproxy.log'));
  const child = spawn(process.execPath, [PROXY, '--config', config, '--log-level', 'debug'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => {
    child.once('exit', resolve);
    child.once('error', resolve);
  });
  const lines = createInterface({ input: child.stderr });
  const drained = Promise.all([new Promise((resolve) => lines.once('close', resolve)), new Promise((resolve) => child.stdout.once('close', resolve))]);
  proxy = { child, exited, drained, log };
  writeFileSync(join(runDir, 'mcproxy.pid'), `${child.pid}\n`);
  child.stdout.pipe(log, { end: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mcproxy did not report its URL within ${READY_TIMEOUT_MS / 1000}s`)), READY_TIMEOUT_MS);
    exited.then(() => reject(new Error('mcproxy exited before it was ready')));
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'proxy ready' && typeof entry.url === 'string') {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        /* not a log line */
      }
    });
  });
}

/** A play that a correct proxy must stop: its error is the pass, its success the failure. */
async function refused(played) {
  let notes;
  try {
    notes = await played;
  } catch (error) {
    return [`stopped as a correct client must: ${error.message}`];
  }
  throw new Error(`the proxy went on where a correct client refuses: ${notes.join('; ')}`);
}

async function main() {
  const play = isAuth ? authPlay : PLAYS[scenario];
  const outcome = { scenario, protocol, upstream: url, ok: false, notes: [] };
  let client;
  try {
    if (play === undefined) throw new Error(`no play for scenario '${scenario}'`);
    if (!/^https?:\/\//.test(url ?? '')) throw new Error(`expected the scenario's server URL as the last argument, got ${url}`);
    outcome.proxy = await startProxy();
    client = modernClient(outcome.proxy, {
      capabilities: isAuth ? AUTH_CAPABILITIES : CAPABILITIES,
      clientInfo: CLIENT_INFO,
      headers: isAuth ? { Authorization: `Bearer ${DRIVER_KEY}` } : {},
    });
    let timer;
    const deadline = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the play took longer than ${PLAY_DEADLINE_MS / 1000}s`)), PLAY_DEADLINE_MS);
    });
    try {
      outcome.notes = await Promise.race([expectRefusal ? refused(play(client, context)) : play(client, context), deadline]);
    } finally {
      clearTimeout(timer);
    }
    outcome.ok = true;
  } catch (error) {
    outcome.error = error.message;
    process.stderr.write(`conformance-client-driver (${scenario}, ${protocol}): ${error.message}\n`);
  } finally {
    outcome.sent = client?.sent.map(({ method, headers }) => ({ method, headers }));
    await stopProxy();
    rmSync(scratch, { recursive: true, force: true });
    writeFileSync(join(runDir, 'driver.json'), `${JSON.stringify(outcome, null, 2)}\n`);
  }
  return outcome.ok ? 0 : 1;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (proxy)
      try {
        process.kill(-proxy.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    process.exit(130);
  });
}

main().then((code) => process.exit(code));
