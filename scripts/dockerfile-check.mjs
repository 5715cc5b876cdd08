#!/usr/bin/env node
// The Dockerfile's install, outside a container (no Docker engine here, and its
// base images would come from Docker Hub): runs the build stage's
// `pack-install.mjs --pack-to` line and the final stage's `npm init`/`npm install`
// commands, read from the Dockerfile itself, in an empty folder; then starts
// the installed mcproxy as the image's ENTRYPOINT would, with the container
// pipeline file from docs/operations.md (its upstreams swapped for a local
// one, on port 0), and calls it with and without the API key.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Failure, root, run, TINY_SERVER } from './packs.mjs';

const started = Date.now();
const say = (what) => process.stderr.write(`dockerfile-check [${((Date.now() - started) / 1000).toFixed(1)}s]: ${what}\n`);
const work = mkdtempSync(join(tmpdir(), 'mcproxy-dockerfile-'));
let proxy;

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions() {
  return readFileSync(join(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
}

/** The container pipeline file shown under "In a container" in docs/operations.md. */
function documentedPipeline() {
  const doc = readFileSync(join(root, 'docs/operations.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## In a container'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Failure('docs/operations.md has no yaml block under "## In a container"');
  return block[1];
}

/** One POST of a JSON-RPC message to 127.0.0.1:port under Host `localhost` (what allowedHosts names). */
function post(port, body, headers) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        headers: { host: `localhost:${port}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function main() {
  const lines = instructions();
  const packLine = lines.find((l) => l.includes('scripts/pack-install.mjs --pack-to'));
  if (!packLine) throw new Failure('the Dockerfile runs no scripts/pack-install.mjs --pack-to');
  const packArgs = packLine.slice(packLine.indexOf('--pack-to')).split('&&')[0].trim().split(/\s+/);
  const packs = join(work, 'packs');
  const packDir = packArgs[1];
  packArgs[1] = packs;
  run(process.execPath, [join(root, 'scripts/pack-install.mjs'), ...packArgs], root, `the Dockerfile's pack step (${packLine.trim()})`);
  const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
  say(`the build stage's pack step made ${tarballs.join(', ')}`);

  // The final stage: the RUN after the tarballs are copied in; its npm commands, with the copied folder here.
  const copy = lines.findIndex((l) => /^COPY --from=build /.test(l) && l.includes(packDir));
  if (copy < 0) throw new Failure(`the Dockerfile copies no ${packDir} from the build stage`);
  const copiedTo = lines[copy].trim().split(/\s+/).pop();
  const install = lines.slice(copy + 1).find((l) => l.startsWith('RUN '));
  const app = join(work, 'app');
  mkdirSync(app);
  for (const command of install
    .slice(4)
    .split('&&')
    .map((c) => c.replace(/>\s*\/dev\/null/, '').trim())) {
    const words = command.split(/\s+/);
    if (words[0] !== 'npm' || !['init', 'install'].includes(words[1])) continue;
    // The shell's glob, over the tarballs: a pattern that leaves some out shows here as npm's E404.
    const glob = (w) =>
      new RegExp(
        `^${w
          .slice(copiedTo.length + 1)
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replaceAll('*', '.*')}$`,
      );
    const args = words.slice(1).flatMap((w) => (w.startsWith(`${copiedTo}/`) ? tarballs.filter((t) => glob(w).test(t)).map((t) => join(packs, t)) : [w]));
    // --prefer-offline: what npm already has cached is not fetched again (the image's npm starts with an empty cache).
    run('npm', [...args, '--prefer-offline'], app, `the Dockerfile's "${command}"`);
    say(`ran the final stage's "${command}"`);
  }

  const yaml = createRequire(join(app, 'node_modules/@mcproxy/cli/package.json'))('yaml');
  const pipeline = yaml.parse(documentedPipeline());
  writeFileSync(join(work, 'tiny-server.mjs'), TINY_SERVER);
  pipeline.upstreams = { tiny: { command: process.execPath, args: [join(work, 'tiny-server.mjs')] } };
  writeFileSync(join(work, 'pipeline.json'), JSON.stringify(pipeline, null, 2));
  const key = randomBytes(24).toString('hex');
  // As the ENTRYPOINT and CMD say: mcproxy from node_modules/.bin, JSON logs; --port 0 so nothing here collides.
  proxy = spawn(join(app, 'node_modules/.bin/mcproxy'), ['--config', join(work, 'pipeline.json'), '--log-format', 'json', '--port', '0'], {
    cwd: app,
    env: { ...process.env, NODE_ENV: 'production', MCPROXY_API_KEY: key },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((resolve) => proxy.once('exit', (code, signal) => resolve(code ?? signal)));
  const output = [];
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Failure(`mcproxy with the documented container pipeline was not ready within 30 s:\n${output.join('\n')}`)),
      30_000,
    );
    exited.then((code) => reject(new Failure(`mcproxy with the documented container pipeline exited (${code}):\n${output.join('\n')}`)));
    createInterface({ input: proxy.stderr }).on('line', (line) => {
      output.push(line);
      if (!line.includes('"proxy ready"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(line).url);
    });
  });
  say(`mcproxy started with the documented container pipeline: ${url}`);
  const port = Number(new URL(url).port);
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'dockerfile-check', version: '1' } },
  };
  const without = await post(port, initialize, {});
  if (without.status !== 401) throw new Failure(`initialize without the API key answered ${without.status}, not 401: ${without.text}`);
  const withKey = await post(port, initialize, { authorization: `Bearer ${key}` });
  if (withKey.status !== 200 || !withKey.text.includes('"serverInfo"'))
    throw new Failure(`initialize with the API key answered ${withKey.status}: ${withKey.text}`);
  say('initialize: 401 without the API key, answered with it');
  proxy.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Failure(`on SIGTERM mcproxy ended with ${code}, not exit 0`);
}

let status = 0;
try {
  await main();
  say("passed: the Dockerfile's pack and install steps give a mcproxy that serves the documented container pipeline");
} catch (err) {
  status = 1;
  process.stderr.write(`dockerfile-check: FAILED: ${err instanceof Failure ? err.message : (err?.stack ?? err)}\n`);
} finally {
  if (proxy && proxy.exitCode === null && proxy.signalCode === null) proxy.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
