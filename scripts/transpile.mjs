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
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { withDependencies } from './packs.mjs';

/** The source files tsc would compile for the build (tests left out). */
function sources(dir) {
  return readdirSync(join(dir, 'src'), { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, 'src', f));
}

const targets = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const started = Date.now();
const packages = withDependencies(targets.length > 0 ? targets : ['@mcproxy/cli']);
for (const { dir } of packages) {
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
process.stderr.write(`transpiled ${packages.length} packages with esbuild in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
