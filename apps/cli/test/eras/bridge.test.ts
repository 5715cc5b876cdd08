import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { META, type Params } from '@mcproxy/core';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE, runCli, type CliRun, stopRuns } from '../kit/cli-process.js';

const MODERN_FIXTURE = fileURLToPath(new URL('../../../../packages/testing/dist/modern-fixture-server.js', import.meta.url));

const runs: CliRun[] = [];
const clients: Array<Client | LegacyClient> = [];
let dir: string | undefined;
afterEach(async () => {
  await stopRuns(runs, clients as Client[], 'SIGTERM');
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const run = runCli(args, { env });
  runs.push(run);
  const line = await run.waitLog((l) => l.msg === 'listening' && typeof l.url === 'string');
  return line.url as string;
}

describe('the era bridge, real processes', () => {
  it('a v2 SDK client at 2026-07-28 answers the elicitation a 2025-era SDK 1.x server pushes mid-call, as an input_required round', async () => {
    const url = await serve(['--port', '0', '--', process.execPath, FIXTURE, '--stdio']);
    const client = new Client({ name: 'bridge-e2e', version: '1' }, { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } });
    clients.push(client);
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { username: 'ada', email: 'ada@example.test' } }));
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    const result = await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } });
    expect(result.content).toEqual([{ type: 'text', text: 'User response: action=accept, content={"username":"ada","email":"ada@example.test"}' }]);
  });

  it('an SDK 1.x client at 2025-11-25 answers a 2026-07-28-only server’s input_required round as a request pushed to it', async () => {
    const url = await serve(['--port', '0', '--', process.execPath, MODERN_FIXTURE, '--stdio', '--era', 'modern']);
    const client = new LegacyClient({ name: 'bridge-e2e', version: '1' }, { capabilities: { elicitation: {} } });
    clients.push(client);
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Bo' } }));
    await client.connect(new LegacyHttpTransport(new URL(url)));
    const result = await client.callTool({ name: 'test_input_required_result_elicitation', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'Hello, Bo!' }]);
  });
});

const A_KEY = 'bridge-a-key-0123456789abcdef';
const B_KEY = 'bridge-b-key-0123456789abcdef';

/** One 2026-07-28 tools/call over plain HTTP with `key`, its JSON-RPC answer read from JSON or from the SSE stream. */
async function modernCall(url: string, key: string, name: string, extra: Params = {}): Promise<{ result?: Params; error?: Params }> {
  const _meta = {
    [META.protocolVersion]: '2026-07-28',
    [META.clientInfo]: { name: 'bridge-auth', version: '1' },
    [META.clientCapabilities]: { elicitation: {} },
  };
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
      'x-api-key': key,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: { message: 'Who are you?' }, ...extra, _meta } }),
  });
  const text = await response.text();
  const bodies = response.headers.get('content-type')?.startsWith('text/event-stream')
    ? text.split('\n').flatMap((l) => (l.startsWith('data:') ? [l.slice(5).trim()] : []))
    : [text];
  const answer = bodies.map((b) => JSON.parse(b) as Params).find((m) => m.id === 1);
  if (answer === undefined) throw new Error(`no answer in ${response.status} ${text.slice(0, 300)}`);
  return answer;
}

describe('the era bridge with authentication, real processes', () => {
  it("refuses principal B the requestState of A's parked call as a foreign one, and A then completes its call", async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-bridge-auth-'));
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      `serve: { http: { port: 0 } }
upstreams:
  fixture: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FIXTURE)}, --stdio] }
auth:
  apiKeys:
    - { id: team-a, key: "\${A_KEY}" }
    - { id: team-b, key: "\${B_KEY}" }
`,
    );
    const url = await serve(['--config', file], { A_KEY, B_KEY });
    const first = await modernCall(url, A_KEY, 'test_elicitation');
    expect(first.result?.resultType).toBe('input_required');
    const [key] = Object.keys(first.result?.inputRequests as Params);
    const state = first.result?.requestState as string;
    const foreign = await modernCall(url, B_KEY, 'test_elicitation', { requestState: `${state.split('.')[0]}.${'A'.repeat(43)}`, inputResponses: {} });
    expect(foreign.error).toMatchObject({ code: -32602, message: 'Invalid params: requestState failed verification' });
    const inputResponses = { [key!]: { action: 'accept', content: { username: 'mallory', email: 'm@example.test' } } };
    const stolen = await modernCall(url, B_KEY, 'test_elicitation', { requestState: state, inputResponses });
    expect(stolen.error).toEqual(foreign.error);
    const done = await modernCall(url, A_KEY, 'test_elicitation', {
      requestState: state,
      inputResponses: { [key!]: { action: 'accept', content: { username: 'ada', email: 'ada@example.test' } } },
    });
    expect(done.result?.content).toEqual([{ type: 'text', text: 'User response: action=accept, content={"username":"ada","email":"ada@example.test"}' }]);
  });
});
