import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPipeline, loadPipeline } from './load.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcproxy-config-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('pipeline files', () => {
  it('reads a YAML file with defaults filled in', async () => {
    const p = await loadPipeline(
      await file(
        'ok.yaml',
        `
serve:
  http: { port: 9000 }
upstreams:
  files:
    command: npx
    args: [-y, some-server, /tmp]
  remote:
    url: http://127.0.0.1:1234/mcp
    headers: { Authorization: "Bearer \${TOKEN}" }
timeouts: { requestMs: 5000 }
`,
      ),
      { TOKEN: 's3cret' },
    );
    expect(p.serve.http).toMatchObject({ host: '127.0.0.1', port: 9000, path: '/mcp', dnsRebindingProtection: true });
    expect(p.upstreams.files).toMatchObject({ command: 'npx', mode: 'shared', env: {}, inheritEnv: 'minimal' });
    expect(p.upstreams.remote).toMatchObject({ url: 'http://127.0.0.1:1234/mcp', mode: 'per-session', headers: { Authorization: 'Bearer s3cret' } });
    expect(p.timeouts).toEqual({ requestMs: 5000 });
  });

  it('reads JSON, and takes the mcpServers object desktop hosts use', async () => {
    const p = await loadPipeline(
      await file(
        'hosts.json',
        JSON.stringify({
          mcpServers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], env: { A: 'b' } } },
        }),
      ),
    );
    expect(Object.keys(p.upstreams)).toEqual(['memory']);
    expect(p.serve.http?.port).toBe(8080);
  });

  it('names the file, the path and what was expected', async () => {
    const path = await file('bad.yaml', 'upstreams:\n  fs:\n    command: npx\n    args: [1, ok]\n');
    await expect(loadPipeline(path)).rejects.toThrow(
      `invalid pipeline file ${path}:\n  at upstreams.fs.args[0]: Invalid input: expected string, received number`,
    );
  });

  it('reads the limits and supervision sections, and names a bad limit by its path', async () => {
    const p = await loadPipeline(
      await file('limits.yaml', 'upstreams:\n  a: { command: x }\nlimits: { sessions: 5, slowReaderBytes: 1024 }\nsupervision: { maxDelayMs: 5000 }\n'),
    );
    expect(p.limits).toEqual({ sessions: 5, slowReaderBytes: 1024 });
    expect(p.supervision).toEqual({ maxDelayMs: 5000 });
    const zero = await file('zero.yaml', 'upstreams:\n  a: { command: x }\nlimits: { requestsPerSession: 0 }\n');
    await expect(loadPipeline(zero)).rejects.toThrow(`invalid pipeline file ${zero}:\n  at limits.requestsPerSession: Too small: expected number to be >0`);
    const env = await file('env.yaml', 'upstreams:\n  a: { command: x, inheritEnv: [HTTPS_PROXY, "A=B"] }\n');
    await expect(loadPipeline(env)).rejects.toThrow(/at upstreams\.a\.inheritEnv\[1\]: a variable name, without "="/);
    const typo = await file('typo-limit.yaml', 'upstreams:\n  a: { command: x }\nlimits: { session: 5 }\n');
    await expect(loadPipeline(typo)).rejects.toThrow(/at limits: Unrecognized key: "session"/);
  });

  it('says what an upstream needs when it has neither command nor url', async () => {
    const path = await file('neither.yaml', 'upstreams:\n  fs:\n    cmd: npx\n');
    await expect(loadPipeline(path)).rejects.toThrow(
      /at upstreams\.fs: unknown key "cmd" \(did you mean "command"\?\); expected "command" \(a server started over stdio\) or "url"/,
    );
  });

  it('names every unknown key of such an entry, guessing only command or url', async () => {
    const path = await file('many.yaml', 'upstreams:\n  fs:\n    comand: npx\n    agrs: [x]\n    endpoint: http://h/mcp\n');
    await expect(loadPipeline(path)).rejects.toThrow(
      'at upstreams.fs: unknown keys "comand" (did you mean "command"?), "agrs", "endpoint" (did you mean "url"?); expected "command"',
    );
  });

  it('refuses unknown keys instead of ignoring them', async () => {
    const path = await file('typo.yaml', 'serve:\n  htp: {}\nupstreams:\n  a: { command: x }\n');
    await expect(loadPipeline(path)).rejects.toThrow(/at serve: Unrecognized key: "htp"/);
  });

  it('names an unset environment variable and where it was used', async () => {
    const path = await file('env.yaml', 'upstreams:\n  r:\n    url: http://127.0.0.1/mcp\n    headers: { X-Key: "${NOPE_NOT_SET}" }\n');
    await expect(loadPipeline(path, {})).rejects.toThrow(`${path}: at upstreams.r.headers.X-Key: environment variable NOPE_NOT_SET is not set`);
  });

  it('takes ${VAR:-fallback} and $${ as a literal', () => {
    const p = checkPipeline({ upstreams: { a: { command: 'x', args: ['${A:-dflt}', '$${B}'] } } }, 'f', {});
    expect(p.upstreams.a).toMatchObject({ args: ['dflt', '${B}'] });
  });

  it('reports YAML syntax errors with the file name', async () => {
    const path = await file('syntax.yaml', 'upstreams: [\n');
    await expect(loadPipeline(path)).rejects.toThrow(`pipeline file ${path} is not valid YAML or JSON`);
  });

  it('refuses a file with no upstream and a missing file', async () => {
    await expect(loadPipeline(await file('empty.yaml', 'serve: { stdio: true }\n'))).rejects.toThrow(/at upstreams: expected at least one upstream/);
    await expect(loadPipeline(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read pipeline file .*missing\.yaml: ENOENT/);
  });
});
