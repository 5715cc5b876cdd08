#!/usr/bin/env node
// The demo's build: each package's src/*.ts turned into dist/*.js by esbuild,
// file by file, with no type checking and no .d.ts. It takes about a second
// where `tsc` over the same packages takes minutes on a busy 2-core machine.
// `npm test` still builds with tsc (declarations, typecheck); this only makes
// something Node can run. The tsconfig settings that make per-file output
// equal to tsc's (isolatedModules, verbatimModuleSyntax) are in tsconfig.base.json.
//
//   node scripts/transpile.mjs [@mcproxy/pkg ...]   that package and its workspace dependencies (default @mcproxy/cli)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Every workspace package by name, with its folder and manifest. */
function workspacePackages() {
  const out = new Map();
  for (const group of ['packages', 'apps']) {
    for (const dir of readdirSync(join(root, group))) {
      const file = join(root, group, dir, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      out.set(pkg.name, { dir: join(root, group, dir), pkg });
    }
  }
  return out;
}

/** `names` and every workspace package they need at run time. */
function closure(all, names) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name) || !all.has(name)) return;
    seen.add(name);
    const { pkg } = all.get(name);
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) visit(dep);
  };
  names.forEach(visit);
  return [...seen];
}

/** The source files tsc would compile for the build (tests left out). */
function sources(dir) {
  return readdirSync(join(dir, 'src'), { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, 'src', f));
}

const targets = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const all = workspacePackages();
const started = Date.now();
const names = closure(all, targets.length > 0 ? targets : ['@mcproxy/cli']);
for (const name of names) {
  const { dir } = all.get(name);
  await build({
    entryPoints: sources(dir),
    outdir: join(dir, 'dist'),
    outbase: join(dir, 'src'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  // The steps a package's build runs after tsc that the demo needs (the dashboard page).
  const extra = join(dir, 'scripts', 'build-dashboard.mjs');
  if (existsSync(extra)) {
    const r = spawnSync(process.execPath, [extra], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
process.stderr.write(`transpiled ${names.length} packages with esbuild in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
