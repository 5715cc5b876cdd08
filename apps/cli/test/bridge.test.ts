import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE, runCli, type CliRun, stopRuns } from './cli-process.js';

const MODERN_FIXTURE = fileURLToPath(new URL('../../../packages/testing/dist/modern-fixture-server.js', import.meta.url));

const runs: CliRun[] = [];
const clients: Array<Client | LegacyClient> = [];
afterEach(() => stopRuns(runs, clients as Client[], 'SIGTERM'));

async function serve(args: string[]): Promise<string> {
  const run = runCli(args);
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
