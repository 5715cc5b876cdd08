import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runCli, stopRuns, type CliRun } from './cli-process.js';

/**
 * What a test file of real mcproxy processes keeps: the processes and
 * clients it started, and a scratch folder for its pipeline file; `cleanup`
 * (in `afterEach`) ends them all.
 *
 * @example
 * const cli = cliScaffold('mcproxy-auth-');
 * afterEach(() => cli.cleanup());
 * const { url } = await cli.serve(await cli.pipelineFile('serve: …'));
 */
export function cliScaffold(prefix: string) {
  const runs: CliRun[] = [];
  const clients: Client[] = [];
  let dir: string | undefined;
  return {
    runs,
    clients,
    /** The scratch folder of the last pipeline file written, for files beside it. */
    get dir(): string | undefined {
      return dir;
    },
    /** Writes `text` as pipeline.yaml in a fresh scratch folder. */
    async pipelineFile(text: string): Promise<string> {
      dir = await mkdtemp(join(tmpdir(), prefix));
      const file = join(dir, 'pipeline.yaml');
      await writeFile(file, text);
      return file;
    },
    /** Runs `mcproxy --config file` and waits for the log line `ready` (with the URL). */
    async serve(file: string, env: NodeJS.ProcessEnv = {}, ready = 'listening'): Promise<{ run: CliRun; url: string }> {
      const run = runCli(['--config', file], { env });
      runs.push(run);
      const line = await run.waitLog((l) => l.msg === ready && typeof l.url === 'string');
      return { run, url: line.url as string };
    },
    /** A 2025-11-25 client (SDK 1.x) over streamable HTTP, sending `headers` with every request. */
    async clientWith(url: string, headers: Record<string, string>, name = 'test'): Promise<Client> {
      const client = new Client({ name, version: '1' });
      clients.push(client);
      await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
      return client;
    },
    async cleanup(): Promise<void> {
      await stopRuns(runs, clients);
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
}
