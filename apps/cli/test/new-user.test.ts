import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliRun, stopRuns } from './kit/cli-process.js';

// What a person trying mcproxy for the first time hits (issue 25): each run as the built program.
const ENV_SERVER = new URL('./kit/env-server.mjs', import.meta.url).pathname;
const NAMED_SERVER = new URL('./kit/named-server.mjs', import.meta.url).pathname;
const runs: CliRun[] = [];
const clients: Client[] = [];
let dir: string | undefined;

afterEach(async () => {
  await stopRuns(runs, clients);
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function start(args: string[], env?: NodeJS.ProcessEnv): CliRun {
  const run = runCli(args, env === undefined ? {} : { env });
  runs.push(run);
  return run;
}

async function connected(run: CliRun): Promise<Client> {
  const ready = await run.waitLog((l) => l.msg === 'proxy ready');
  const client = new Client({ name: 'new-user', version: '1' });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(ready.url as string)));
  return client;
}

async function envOf(client: Client, name: string): Promise<string> {
  const result = await client.callTool({ name: 'env', arguments: { name } });
  return (result.content as Array<{ text: string }>)[0]!.text;
}

async function file(name: string, text: string): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), 'mcproxy-new-user-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** A JSON line's keys in the order written, repeats and all. */
const keysOf = (line: string): string[] => [...line.matchAll(/[{,]"((?:[^"\\]|\\.)*)":/g)].map((m) => m[1]!);

describe('the environment of the servers mcproxy starts', () => {
  it("the quick form passes the caller's environment to its command, as any shell command gets it", async () => {
    const client = await connected(start(['--port', '0', '--', process.execPath, ENV_SERVER], { MCPROXY_TEST_TOKEN: 'from-the-shell' }));
    expect(await envOf(client, 'MCPROXY_TEST_TOKEN')).toBe('from-the-shell');
  });

  it('a pipeline file keeps its minimal default, and --env NAME passes one variable, --env NAME=VALUE sets one', async () => {
    const config = await file('p.yaml', `serve: { http: { port: 0 } }\nupstreams:\n  e: { command: "${process.execPath}", args: ["${ENV_SERVER}"] }\n`);
    const env = { MCPROXY_TEST_TOKEN: 'from-the-shell', MCPROXY_TEST_OTHER: 'not-passed' };
    const plain = await connected(start(['--config', config], env));
    expect(await envOf(plain, 'MCPROXY_TEST_TOKEN')).toBe('(unset)');
    const flagged = await connected(start(['--config', config, '--env', 'MCPROXY_TEST_TOKEN', '-e', 'MCPROXY_TEST_SET=on the command line'], env));
    expect(await envOf(flagged, 'MCPROXY_TEST_TOKEN')).toBe('from-the-shell');
    expect(await envOf(flagged, 'MCPROXY_TEST_SET')).toBe('on the command line');
    expect(await envOf(flagged, 'MCPROXY_TEST_OTHER')).toBe('(unset)');
  });
});

describe('--name', () => {
  it('is the serverInfo.name clients see, whatever the upstream calls itself', async () => {
    const client = await connected(start(['--port', '0', '--name', 'weather', '--', process.execPath, NAMED_SERVER, 'upstream-own-name']));
    expect(client.getServerVersion()?.name).toBe('weather');
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('upstream-own-name_echo');
  });

  it('names the proxy over an aggregate of several upstreams too', async () => {
    const config = await file(
      'two.yaml',
      `serve: { http: { port: 0 } }\nupstreams:\n  a: { command: "${process.execPath}", args: ["${NAMED_SERVER}", "a"] }\n  b: { command: "${process.execPath}", args: ["${NAMED_SERVER}", "b"] }\n`,
    );
    const client = await connected(start(['--config', config, '--name', 'weather']));
    expect(client.getServerVersion()?.name).toBe('weather');
  });
});

describe('messages', () => {
  it("--prot is an unknown option with a guess, not Node's parser text", async () => {
    const run = start(['--prot', '8080', '--example']);
    expect((await run.exited).code).toBe(2);
    const text = run.stderr.join('\n');
    expect(text).toContain('mcproxy: unknown option --prot: did you mean --port?');
    expect(text).not.toContain("as in '--");
  });

  it('comand: names the unknown key and the one it is near', async () => {
    const config = await file('typo.yaml', 'upstreams:\n  a: { comand: node }\n');
    const run = start(['--config', config]);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toContain('at upstreams.a: unknown key "comand" (did you mean "command"?); expected "command"');
  });

  it("--host 0.0.0.0 in a quick form names the flags to change, not a pipeline file's auth section", async () => {
    const run = start(['--host', '0.0.0.0', '--port', '0', '--example']);
    expect((await run.exited).code).toBe(2);
    const text = run.stderr.join('\n');
    expect(text).toContain('--host 0.0.0.0 is reachable beyond this machine');
    expect(text).toContain('Leave out --host');
    expect(text).not.toContain('the pipeline has no auth section');
  });

  it('JSON log lines say each key once, the upstream of a failing one and the pid of a child included', async () => {
    const config = await file(
      'down.yaml',
      `serve: { http: { port: 0 } }\nupstreams:\n  broken: { url: "http://127.0.0.1:9/mcp" }\n  ok: { command: "${process.execPath}", args: ["${NAMED_SERVER}", "ok"] }\n`,
    );
    const run = start(['--config', config, '--log-format', 'json', '--log-level', 'debug']);
    await connected(run);
    await run.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('upstream "broken" went down'));
    await run.waitLog((l) => l.msg === 'upstream process started');
    const repeated = run.stderr.filter((line) => line.startsWith('{') && new Set(keysOf(line)).size !== keysOf(line).length);
    expect(repeated).toEqual([]);
  });
});
