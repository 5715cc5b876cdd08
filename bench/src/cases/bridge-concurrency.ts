// What the bridge's per-call links cost: N concurrent 2026-07-28 clients each
// calling a tool of a 2025-era stdio server that elicits mid-call, through
// mcproxy. Prints, for one call alone and for N at once (cold: links opened
// on demand; warm: links reused), the time from the first POST to the final
// answer, and what the processes hold: children, the proxy's RSS and theirs.
//   node dist/cases/bridge-concurrency.js [clients=16] [rounds=3]
// Real processes on 127.0.0.1: the CLI as built, the fixture server as built.
import { fileURLToPath } from 'node:url';
import { descendants, rssKb, sleep, startChild, stopAll } from '../targets/processes.js';

const clients = Number(process.argv[2] ?? 16);
const rounds = Number(process.argv[3] ?? 3);
const CLI = fileURLToPath(new URL('../../../apps/cli/dist/bin.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../../packages/testing/dist/fixture-server.js', import.meta.url));

type Json = Record<string, unknown>;
const meta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
};

/** One 2026-07-28 tools/call POST; its JSON-RPC answer, from JSON or the event stream. */
async function post(url: string, params: Json): Promise<Json> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'test_elicitation',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { ...params, _meta: meta } }),
  });
  const text = await res.text();
  const bodies = res.headers.get('content-type')?.startsWith('text/event-stream')
    ? text.split('\n').flatMap((l) => (l.startsWith('data:') ? [l.slice(5).trim()] : []))
    : [text];
  const answer = bodies.map((b) => JSON.parse(b) as Json).find((m) => m.id === 1);
  if (answer === undefined) throw new Error(`no answer: ${res.status} ${text.slice(0, 200)}`);
  return answer;
}

/** A whole call: the first POST, its input_required round answered, the retry; milliseconds. */
async function call(url: string, who: string): Promise<number> {
  const started = performance.now();
  const args = { name: 'test_elicitation', arguments: { message: 'Who are you?' } };
  const first = (await post(url, args)).result as Json | undefined;
  if (first?.resultType !== 'input_required') throw new Error(`expected input_required, got ${JSON.stringify(first).slice(0, 200)}`);
  const [key] = Object.keys(first.inputRequests as Json);
  const inputResponses = { [key!]: { action: 'accept', content: { username: who, email: `${who}@example.test` } } };
  const done = (await post(url, { ...args, requestState: first.requestState, inputResponses })).result as Json | undefined;
  if (!JSON.stringify(done).includes(who)) throw new Error(`wrong answer for ${who}: ${JSON.stringify(done).slice(0, 200)}`);
  return performance.now() - started;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]): number => Math.max(...xs);

async function main(): Promise<void> {
  const proxy = startChild('mcproxy', process.execPath, [CLI, '--port', '0', '--log-level', 'warn', '--', process.execPath, FIXTURE, '--stdio']);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mcproxy did not listen: ${proxy.tail()}`)), 20_000);
    proxy.proc.stderr!.on('data', (chunk: Buffer) => {
      const found = /"url":"([^"]+)"/.exec(chunk.toString('utf8'));
      if (found) {
        clearTimeout(timer);
        resolve(found[1]!);
      }
    });
  });
  const footprint = (): { children: number; proxyMb: number; childrenMb: number } => {
    const kids = descendants(proxy.pid);
    return { children: kids.length, proxyMb: rssKb(proxy.pid) / 1024, childrenMb: kids.reduce((sum, pid) => sum + rssKb(pid), 0) / 1024 };
  };
  const rows: string[] = [];
  const row = (what: string, ms: number[], f: ReturnType<typeof footprint>): void => {
    rows.push(`| ${what} | ${median(ms).toFixed(1)} | ${max(ms).toFixed(1)} | ${f.children} | ${f.proxyMb.toFixed(0)} | ${f.childrenMb.toFixed(0)} |`);
  };
  // One call alone, a few times: the cost of a round trip through the bridge with a warm link.
  await call(url, 'warmup');
  const alone: number[] = [];
  for (let i = 0; i < 5; i++) alone.push(await call(url, `alone${i}`));
  row('1 call alone (warm)', alone, footprint());
  for (let r = 1; r <= rounds; r++) {
    const times = await Promise.all(Array.from({ length: clients }, (_, i) => call(url, `c${r}x${i}`)));
    await sleep(200);
    row(`${clients} at once, round ${r}${r === 1 ? ' (links opened)' : ' (links reused)'}`, times, footprint());
  }
  const table = [
    `\nbridge: ${clients} concurrent 2026-07-28 calls, each answering one elicitation, through a 2025-era stdio server\n`,
    '| what | median ms | max ms | children | proxy RSS MB | children RSS MB |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
  process.stdout.write(`${table.join('\n')}\n`); // lint-allow: the measurement's output is its table
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bridge-concurrency: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
