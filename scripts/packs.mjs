// What the install scripts share: the workspace's packages, the pnpm the repo
// pins (fetched with npx when another or none is on the PATH), the tsc build
// of what is about to be packed, and `pnpm pack` of it. Used by install.mjs,
// pack-install.mjs and middleware-kit.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = dirname(dirname(fileURLToPath(import.meta.url)));
const win = process.platform === 'win32';

/** An error whose message is the whole story: the scripts print it without a stack. */
export class Failure extends Error {}

/** Every workspace package (packages/*, apps/*) by name, with its folder and manifest. */
export function workspacePackages() {
  const out = new Map();
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const file = join(root, group, name, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      out.set(pkg.name, { dir: join(root, group, name), pkg });
    }
  }
  return out;
}

/** The public packages, read from the workspace now: a package added later is included too. */
export function publicPackages() {
  return [...workspacePackages().values()].filter(({ pkg }) => !pkg.private);
}

/** `names` and every workspace package they need at run time (dependencies and peers). */
export function withDependencies(names) {
  const all = workspacePackages();
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || !all.has(name)) return;
    seen.add(name);
    const { pkg } = all.get(name);
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) visit(dep);
  };
  names.forEach(visit);
  return [...seen].map((name) => all.get(name));
}

/** The pnpm the repo pins: the one on the PATH when it is that version, else `npx -y pnpm@x.y.z`. */
export function pnpmCommand() {
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
  const have = spawnSync(win ? 'pnpm.cmd' : 'pnpm', ['--version'], { encoding: 'utf8' });
  if (have.status === 0 && `pnpm@${have.stdout.trim()}` === pinned) return [win ? 'pnpm.cmd' : 'pnpm'];
  return [win ? 'npx.cmd' : 'npx', '-y', pinned];
}

/** Runs a command to its end; its output is shown only when it fails. */
export function run(cmd, args, cwd, what) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 600_000 });
  if (r.status !== 0) throw new Failure(`${what} failed (exit ${r.status ?? r.signal}): ${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}`.trimEnd());
  return r.stdout;
}

/**
 * Installs the workspace (when it is not) and builds `packages` with tsc, as
 * `npm test` does: declarations included, which the demo's esbuild build
 * leaves out. Turbo's cache makes it quick when nothing changed.
 */
export function buildForPacking(packages) {
  const [cmd, ...pre] = pnpmCommand();
  if (!existsSync(join(root, 'node_modules', '.modules.yaml'))) run(cmd, [...pre, 'install'], root, 'pnpm install in the checkout');
  const filters = packages.map(({ pkg }) => `--filter=${pkg.name}`);
  run(cmd, [...pre, 'exec', 'turbo', 'run', 'build', ...filters, '--output-logs=errors-only'], root, 'building (tsc)');
}

/** `pnpm pack` of `packages` into `dest` (workspace ranges become versions, publishConfig applies); the tarballs' paths by package name. */
export function pack(packages, dest) {
  for (const { dir, pkg } of packages) {
    const types = join(dir, 'dist', 'index.d.ts');
    if (!existsSync(types))
      throw new Failure(`${pkg.name} is not built with tsc (${types} is missing): node scripts/pack-install.mjs --pack-to <folder> builds it`);
  }
  const [cmd, ...pre] = pnpmCommand();
  const filters = packages.flatMap(({ pkg }) => ['--filter', pkg.name]);
  run(cmd, [...pre, '-r', ...filters, 'pack', '--pack-destination', dest], root, 'pnpm pack');
  const out = new Map();
  for (const { pkg } of packages) {
    const file = join(dest, `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`);
    if (!existsSync(file)) throw new Failure(`pnpm pack made no ${file}`);
    out.set(pkg.name, file);
  }
  return out;
}

/** A stdio MCP server in a dozen lines, no SDK, with one tool (`shout`): an upstream for the install checks. */
export const TINY_SERVER = `import { createInterface } from 'node:readline';
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
const tools = [{ name: 'shout', description: 'Upper-cases its text.', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }];
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.id === undefined) return;
  if (m.method === 'initialize') send({ id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'tiny', version: '1.0.0' } } });
  else if (m.method === 'ping') send({ id: m.id, result: {} });
  else if (m.method === 'tools/list') send({ id: m.id, result: { tools } });
  else if (m.method === 'tools/call') send({ id: m.id, result: { content: [{ type: 'text', text: String(m.params.arguments.text).toUpperCase() }] } });
  else send({ id: m.id, error: { code: -32601, message: 'Method not found: ' + m.method } });
});
`;
