#!/usr/bin/env node
// The project's own lint: the rules of docs/architecture.md and STYLE that a
// type checker cannot see. Run in a package folder (turbo runs it in each);
// prints every breach as file:line and exits 1 if there is any.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCycles, importGraph, seamBreaches } from './lint-graph.mjs';

const pkgDir = process.cwd();
// Biome first (formatting and its recommended rules, configured in the root biome.json), then ours.
const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const biome = spawnSync(
  join(repo, 'node_modules', '.bin', process.platform === 'win32' ? 'biome.cmd' : 'biome'),
  ['check', '--no-errors-on-unmatched', pkgDir],
  {
    cwd: repo,
    stdio: 'inherit',
  },
);
if (biome.status !== 0) process.exit(biome.status ?? 1);
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const problems = [];
const MAX_LINES = 400;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|mts|mjs)$/.test(name)) yield path;
  }
}

const rules = [
  // stdout may be carrying MCP: nothing in a package writes to it by accident.
  { test: /\bconsole\.(log|info|debug|warn|error)\(/, why: 'use the Logger (pino), never console.*', src: true },
  { test: /process\.stdout\.write\(/, why: 'stdout carries MCP; write through a transport', src: true, except: ['@mcproxy/testing'] },
  // Core knows shapes, never a wire or the SDK.
  { test: /from '@modelcontextprotocol\/sdk/, why: 'core must not import the MCP SDK', only: ['@mcproxy/core'] },
  { test: /from 'node:(http|net|child_process)'/, why: 'core must not touch a wire', only: ['@mcproxy/core'] },
  // Ids are values: 0 and "" are valid.
  { test: /if \(!?[\w.]*\.id\)|\.id \|\| /, why: 'never test an id for truthiness: 0 and "" are valid ids' },
];

for (const root of ['src', 'test']) {
  let list;
  try {
    list = [...files(join(pkgDir, root))];
  } catch {
    continue;
  }
  for (const file of list) {
    const rel = relative(pkgDir, file);
    const isTest = /\.test\.ts$/.test(file) || root === 'test';
    if (!/^[a-z0-9]+(-[a-z0-9]+)*(\.test)?\.(ts|mts|mjs)$/.test(basename(file))) problems.push(`${rel}: file names are kebab-case`);
    const lines = readFileSync(file, 'utf8').split('\n');
    if (!isTest && lines.length > MAX_LINES) problems.push(`${rel}: ${lines.length} lines; split it (limit ${MAX_LINES})`);
    lines.forEach((line, i) => {
      // A deliberate exception says so on its line, with the reason beside it.
      if (line.includes('lint-allow')) return;
      for (const r of rules) {
        if (r.src && (isTest || root !== 'src')) continue;
        if (r.only && !r.only.includes(pkg.name)) continue;
        if (r.except?.includes(pkg.name)) continue;
        if (r.test.test(line)) problems.push(`${rel}:${i + 1}: ${r.why}`);
      }
    });
  }
}

// A folder's arrows point down: no file reaches itself through its imports (type-only ones too).
const graph = importGraph(pkgDir);
for (const cycle of findCycles(graph)) problems.push(`import cycle: ${cycle.join(' -> ')}`);
// Core's eras are reached through their seam, src/eras/index.ts, and nowhere else.
if (pkg.name === '@mcproxy/core') problems.push(...seamBreaches(graph));

if (problems.length > 0) {
  process.stderr.write(`${pkg.name}: ${problems.length} lint problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stderr.write(`${pkg.name}: lint clean\n`);
