// The import graph of one package's own files, and what lint refuses in it:
// cycles (a folder's arrows must point down) and, in core, reaching past the
// eras' seam. Separate from lint.mjs so a test can feed it a folder.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const SOURCE = /\.(ts|mts|mjs)$/;

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (SOURCE.test(name)) yield path;
  }
}

/** The files an import of `spec` from `from` may mean, in the order TypeScript tries them (`.js` is the `.ts` beside it). */
function candidates(from, spec) {
  const target = resolve(dirname(from), spec);
  if (/\.js$/.test(target)) return [target.replace(/\.js$/, '.ts'), target];
  if (/\.mjs$/.test(target)) return [target.replace(/\.mjs$/, '.mts'), target];
  if (/\.(ts|mts)$/.test(target)) return [target];
  return [`${target}.ts`, `${target}.mts`, join(target, 'index.ts'), join(target, 'index.mts'), join(target, 'index.mjs')];
}

/**
 * The package's source files (under `src/` and `test/`, `.ts`, `.mts`,
 * `.mjs`) and, for each, the files among them it imports: static imports,
 * `import type`, re-exports (`export … from`) and `import('…')` with a
 * literal, found by TypeScript's own scanner so comments and strings are
 * not read as imports. Paths are relative to `pkgDir`, with `/`.
 */
export function importGraph(dir) {
  const pkgDir = resolve(dir);
  const files = [];
  for (const root of ['src', 'test']) {
    try {
      files.push(...sourceFiles(join(pkgDir, root)));
    } catch {
      // No such folder: nothing to read.
    }
  }
  const known = new Set(files);
  const rel = (path) => relative(pkgDir, path).split(sep).join('/');
  const graph = new Map();
  for (const file of files) {
    const edges = new Set();
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const hit = candidates(file, fileName).find((c) => known.has(c));
      if (hit !== undefined) edges.add(rel(hit));
    }
    graph.set(rel(file), edges);
  }
  return graph;
}

/** The strongly connected components of `graph` (Tarjan), each a sorted list of its files. */
function components(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const part = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      part.push(w);
    } while (w !== v);
    found.push(part.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found;
}

/** The shortest cycle from `start` back to it, walking only inside `within`. */
function shortestCycle(graph, start, within) {
  const parent = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = parent.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (within.has(w) && !parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return undefined;
}

/**
 * The import cycles of `graph`, each as the files along it with the first
 * repeated at the end (`['a.ts', 'b.ts', 'a.ts']`). Not every cycle (a
 * tangle of n files can hold exponentially many): for each tangle, shortest
 * cycles until every file in it appears in one, so each file to untangle is
 * named.
 */
export function findCycles(graph) {
  const cycles = [];
  for (const part of components(graph)) {
    const within = new Set(part);
    if (part.length === 1 && !graph.get(part[0])?.has(part[0])) continue;
    const covered = new Set();
    for (const file of part) {
      if (covered.has(file)) continue;
      const cycle = shortestCycle(graph, file, within);
      if (cycle === undefined) continue;
      for (const f of cycle) covered.add(f);
      cycles.push(cycle);
    }
  }
  return cycles;
}

/**
 * Core's eras sit behind one seam: a file outside `src/eras/` may import
 * `src/eras/index.ts` and nothing else under it. `src/index.ts` (which
 * re-exports) and tests may reach in. Returns one line per breach; none
 * when there is no `src/eras/`.
 */
export function seamBreaches(graph, eras = 'src/eras/') {
  const seam = `${eras}index.ts`;
  const breaches = [];
  for (const [file, edges] of graph) {
    if (file.startsWith(eras) || file === 'src/index.ts' || file.startsWith('test/') || /\.test\.(ts|mts|mjs)$/.test(file)) continue;
    for (const target of edges) {
      if (target.startsWith(eras) && target !== seam) breaches.push(`${file}: imports ${target}; go through the seam ${seam}`);
    }
  }
  return breaches;
}
