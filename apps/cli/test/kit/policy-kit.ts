// Shared by the policy tests (issue 23): the built CLI on port 0 with a
// pipeline file, clients holding an API key or a JWT, and the file server
// that resolves dot segments as real file servers do.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runCli, stopRuns, type CliRun } from './cli-process.js';

export const FILE_SERVER = fileURLToPath(new URL('./file-server.mjs', import.meta.url));
/** The file server as a pipeline file's upstream entry (YAML flow). */
export const files = `{ command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FILE_SERVER)}] }`;

export const ALICE_KEY = 'alice-key-0123456789abcdef';
export const BOB_KEY = 'bob-key-0123456789abcdef';
export const CI_KEY = 'ci-key-0123456789abcdef';

/** What one test started, ended by `stop`. */
export class Kit {
  readonly runs: CliRun[] = [];
  readonly clients: Client[] = [];
  private dirs: string[] = [];

  /** Writes `text` as a pipeline file; its path. */
  async file(text: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'mcproxy-policy-'));
    this.dirs.push(dir);
    const file = join(dir, 'pipeline.yaml');
    await writeFile(file, text);
    return file;
  }

  /** Serves `text` (a pipeline file) and resolves with its URL once it listens. */
  async serve(text: string): Promise<string> {
    const run = runCli(['--config', await this.file(text), '--log-level', 'warn'], { env: { ALICE_KEY, BOB_KEY, CI_KEY } });
    this.runs.push(run);
    const line = await run.waitLog((l) => l.msg === 'proxy ready' && typeof l.url === 'string', 30_000);
    return line.url as string;
  }

  /** Runs the CLI on `text` expecting it to refuse: its exit code and stderr. */
  async refused(text: string): Promise<{ code: number | null; stderr: string }> {
    const run = runCli(['--config', await this.file(text)]);
    this.runs.push(run);
    const { code } = await run.exited;
    return { code, stderr: run.stderr.join('\n') };
  }

  /** A connected client sending `headers` (a key or a token). */
  async client(url: string, headers: Record<string, string>): Promise<Client> {
    const client = new Client({ name: 'policy-e2e', version: '1' });
    this.clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    return client;
  }

  async stop(): Promise<void> {
    await stopRuns(this.runs, this.clients);
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** The text of a read's first content, or the error it failed with. */
export async function readText(client: Client, uri: string): Promise<string> {
  try {
    const got = await client.readResource({ uri });
    const first = got.contents[0] as { text?: string } | undefined;
    return first?.text ?? '';
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The text of a tool call's first content, or the error it failed with. */
export async function callText(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  try {
    const got = await client.callTool({ name, arguments: args });
    const first = (got.content as Array<{ text?: string }>)[0];
    return `${got.isError === true ? 'tool error: ' : ''}${first?.text ?? ''}`;
  } catch (err) {
    return `error: ${err instanceof Error ? err.message : String(err)}`;
  }
}
