import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, FIXTURE, runCli, type CliRun } from './kit/cli-process.js';

// A middleware written in TypeScript whose factory fails on purpose: the message proves the file was loaded and run.
const TS_MIDDLEWARE = `
interface Options { word?: string }
export default function create(options: Options): never {
  throw new Error(\`typescript middleware ran: \${options.word ?? ''}\`);
}
`;

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const canStrip = major > 22 || (major === 22 && minor >= 6);
const stripsByDefault = Boolean((process.features as { typescript?: unknown }).typescript);

const NODE22 = 'node@22.23.3';

/** Runs the built CLI on `command` (a Node, or npx fetching one) with `flags`, to its exit. */
function runNode(command: string, flags: string[], config: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, [...flags, BIN, '--config', config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    const chunks: Buffer[] = [];
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', (err) => resolve({ code: null, stderr: String(err) }));
    child.once('exit', (code) => resolve({ code, stderr: Buffer.concat(chunks).toString('utf8') }));
  });
}

let dir: string | undefined;
const runs: CliRun[] = [];
afterEach(async () => {
  for (const run of runs.splice(0)) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function pipeline(file: string): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'mcproxy-ts-mw-'));
  await writeFile(join(dir, file), TS_MIDDLEWARE);
  const config = join(dir, 'pipeline.yaml');
  await writeFile(
    config,
    `
serve: { http: { port: 0 } }
upstreams:
  fixture: { command: "${process.execPath}", args: ["${FIXTURE}", "--stdio"] }
pipeline:
  - use: ./${file}
    with: { word: hello }
`,
  );
  return config;
}

describe('use: of a .ts file', () => {
  it.runIf(!stripsByDefault)('on a Node that cannot strip types, exits 2 naming the file and what to do', async () => {
    const config = await pipeline('tag.ts');
    const run = runCli(['--config', config], { env: { NODE_OPTIONS: '' } });
    runs.push(run);
    expect((await run.exited).code).toBe(2);
    const stderr = run.stderr.join('\n');
    expect(stderr).toContain(`Node ${process.version} cannot load TypeScript middleware (${join(dir!, 'tag.ts')})`);
    expect(stderr).toContain('compile it to .js, or run mcproxy on Node 22.6+ with --experimental-strip-types (23.6+: by default)');
  });

  // On a Node that cannot strip types, the CLI runs on Node 22 fetched through npx, as the conformance run does.
  it('loads it where Node strips types (.mts too)', async () => {
    for (const file of ['tag.ts', 'tag.mts']) {
      const config = await pipeline(file);
      const outcome = canStrip
        ? await runNode(process.execPath, stripsByDefault ? [] : ['--experimental-strip-types'], config)
        : await runNode('npx', ['-y', NODE22, '--experimental-strip-types'], config);
      expect(outcome.code, outcome.stderr).toBe(2);
      expect(outcome.stderr).toContain('typescript middleware ran: hello');
      await rm(dir!, { recursive: true, force: true });
    }
  }, 120_000);
});
