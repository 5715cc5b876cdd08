import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const NAMED = new URL('./test/named-server.mjs', import.meta.url).pathname;
const named = (n, x) => ({ command: process.execPath, args: [NAMED, n, ...(x ? [x] : [])] });
const dir = mkdtempSync(join(tmpdir(), 'measure-'));
const file = join(dir, 'p.json');
writeFileSync(file, JSON.stringify({ upstreams: { a: named('a'), b: named('b') } }));
const child = spawn(process.execPath, ['dist/bin.js', '--config', file, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
const logs = [];
const waiters = [];
createInterface({ input: child.stderr }).on('line', (line) => {
  let l; try { l = JSON.parse(line); } catch { return; }
  l.at = performance.now(); logs.push(l);
  for (const w of [...waiters]) if (w.m(l)) { waiters.splice(waiters.indexOf(w), 1); w.r(l); }
});
const wait = (m) => { const hit = logs.find(m); return hit ? Promise.resolve(hit) : new Promise((r) => waiters.push({ m, r })); };
const ready = await wait((l) => l.msg === 'proxy ready');
const client = new Client({ name: 'm', version: '1' });
let changedAt;
client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changedAt ??= performance.now(); });
await client.connect(new StreamableHTTPClientTransport(new URL(ready.url)));
await client.listTools();
await client.callTool({ name: 'b_echo', arguments: {} });
const rounds = [];
for (let round = 0; round < 5; round++) {
  changedAt = undefined;
  // A client calling the unchanged upstream b in a loop while a is replaced.
  let stop = false; const lat = []; let errors = 0;
  const loop = (async () => { while (!stop) { const t = performance.now(); try { const r = await client.callTool({ name: 'b_echo', arguments: {} }); if (r.isError) errors++; } catch { errors++; } lat.push(performance.now() - t); } })();
  await new Promise((r) => setTimeout(r, 300));
  const before = lat.length;
  writeFileSync(file, JSON.stringify({ upstreams: { a: named('a', `v${round}`), b: named('b') } }));
  const sent = performance.now();
  const n = logs.length;
  child.kill('SIGHUP');
  const done = await wait((l) => l.msg === 'reloaded' && logs.indexOf(l) >= n);
  while (changedAt === undefined) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  const tools = await client.listTools();
  const relist = performance.now() - t0;
  const c0 = performance.now();
  await client.callTool({ name: 'a_extra', arguments: {} });
  const firstNew = performance.now() - c0;
  await new Promise((r) => setTimeout(r, 300));
  stop = true; await loop;
  const during = lat.slice(before);
  rounds.push({ reloadMs: done.ms, sighupToReloadedLog: +(done.at - sent).toFixed(1), sighupToListChanged: +(changedAt - sent).toFixed(1), relistMs: +relist.toFixed(1), firstCallOnNewUpstreamMs: +firstNew.toFixed(1), loopCalls: during.length, loopErrors: errors, loopMaxMs: +Math.max(...during).toFixed(1), loopMedianMs: +during.sort((a, b) => a - b)[Math.floor(during.length / 2)].toFixed(1), tools: tools.tools.length });
}
console.log(JSON.stringify(rounds, null, 1));
await client.close();
child.kill('SIGTERM');
