// Prints the figures of docs/benchmarks.md's tool-search section:
//   pnpm --filter @mcproxy/mw-tool-search measure
import { performance } from 'node:perf_hooks';
import { ToolIndex } from '../src/search.js';
import { catalog, QUERIES } from './catalog.mjs';
import { catalogKit, listSize, naiveQuality, quality, searchMiddleware } from './figures.js';

const out = (line = ''): boolean => process.stdout.write(`${line}\n`);
const tokens = (bytes: number): string => `~${Math.round(bytes / 4).toLocaleString('en')}`;
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

const rows: Array<[string, { tools: number; bytes: number }]> = [];
for (const [label, front] of [
  ['without tool-search', []],
  ['tool-search', [await searchMiddleware()]],
  ['tool-search, 5 pinned (github__create_issue, slack__*_message)', [await searchMiddleware({ pinned: ['github__create_issue', 'slack__*_message'] })]],
] as const) {
  const kit = await catalogKit([...front]);
  rows.push([label, await listSize(kit)]);
  await kit.close();
}
out('tools/list for 20 upstreams × 50 tools (aggregated)');
out();
out('| list | tools | bytes | tokens (bytes / 4) |');
out('| --- | ---: | ---: | ---: |');
for (const [label, s] of rows) out(`| ${label} | ${s.tools} | ${s.bytes.toLocaleString('en')} | ${tokens(s.bytes)} |`);

const kit = await catalogKit([await searchMiddleware()]);
const q = await quality(kit);
await kit.close();
const plain = await catalogKit();
const naive = await naiveQuality(plain);
await plain.close();
out();
out(`search quality: ${QUERIES.length} labelled queries over the same 1,000 tools`);
out();
out('| search | top-1 | top-3 |');
out('| --- | ---: | ---: |');
out(`| tool-search (BM25) | ${pct(q.top1)} | ${pct(q.top3)} |`);
out(`| words counted, no ranking (baseline) | ${pct(naive.top1)} | ${pct(naive.top3)} |`);
out();
out('queries not answered first:');
for (const m of q.misses) out(`- ${m.query}: ${m.rank === undefined ? 'not in the top 10' : `rank ${m.rank}`}`);

// What one index costs to build and to ask, over the 1,000 tools (median of 21).
const tools = Object.values(catalog()).flat();
const median = (f: () => void): number => {
  const times = Array.from({ length: 21 }, () => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  }).sort((a, b) => a - b);
  return times[10]!;
};
let index = new ToolIndex(tools);
const build = median(() => {
  index = new ToolIndex(tools);
});
const ask = median(() => {
  for (const q of QUERIES) index.search(q.query, 5);
});
out();
out(`index over ${tools.length} tools: built in ${build.toFixed(1)} ms; ${QUERIES.length} searches in ${ask.toFixed(1)} ms (medians of 21)`);
