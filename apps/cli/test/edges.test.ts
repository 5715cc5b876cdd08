import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE, runCli, stopRuns, type CliRun } from './cli-process.js';

// Regression tests for the edge findings of issue 23, each against a real mcproxy process.

const runs: CliRun[] = [];
let dir: string | undefined;

afterEach(async () => {
  await stopRuns(runs);
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function pipelineFile(text: string): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'mcproxy-edges-'));
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, text);
  return file;
}

const upstream = `upstreams:\n  fixture: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FIXTURE)}, --stdio] }\n`;

describe('a wildcard CORS origin', () => {
  it('without auth refuses to start (exit 2), naming the key and the ways out', async () => {
    const file = await pipelineFile(`serve: { http: { port: 0, cors: { origins: ["*"] } } }\n${upstream}`);
    const run = runCli(['--config', file]);
    runs.push(run);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toMatch(/serve\.http\.cors\.origins is \["\*"\].*no auth section.*allowUnauthenticated: true/);
  });

  it('starts with a warning when allowUnauthenticated says so on purpose', async () => {
    const file = await pipelineFile(`serve: { http: { port: 0, cors: { origins: ["*"] } } }\n${upstream}auth: { allowUnauthenticated: true }\n`);
    const run = runCli(['--config', file]);
    runs.push(run);
    await run.waitLog((l) => l.msg === 'proxy ready');
    expect(run.logs.some((l) => typeof l.msg === 'string' && l.msg.includes('allows every CORS origin without authentication'))).toBe(true);
  });
});
