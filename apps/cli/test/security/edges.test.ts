import { writeFile } from 'node:fs/promises';
import { initialize, openSse, post, raw, startIssuer, type SseStream, type TestIssuer } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE, runCli, type CliRun } from '../kit/cli-process.js';
import { cliScaffold } from '../kit/cli-scaffold.js';

// Regression tests for the edge findings of issue 23, each against a real mcproxy process.

const cli = cliScaffold('mcproxy-edges-');
const { runs, pipelineFile } = cli;
const issuers: TestIssuer[] = [];
const serve = (file: string, env: NodeJS.ProcessEnv = {}) => cli.serve(file, env, 'proxy ready');
const clientWith = (url: string, headers: Record<string, string>) => cli.clientWith(url, headers, 'edges');

afterEach(async () => {
  await Promise.allSettled(issuers.splice(0).map((i) => i.close()));
  await cli.cleanup();
});

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdef00';
const OPS = 'ops-key-0123456789abcdef00';
const fixture = `{ command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FIXTURE)}, --stdio] }`;

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

describe('routes as security boundaries', () => {
  it("run `when:` in a route's pipeline: Bob, denied on /mcp, is denied on /ops too", async () => {
    const file = await pipelineFile(
      `serve: { http: { port: 0 } }
${upstream}auth:
  apiKeys:
    - { id: alice, key: "${ALICE}" }
    - { id: bob, key: "${BOB}" }
pipeline:
  - { use: filter, when: { principals: [bob] }, with: { tools: { deny: ["*"] } } }
routes:
  /ops:
    upstreams: { ops: ${fixture} }
    pipeline:
      - { use: filter, when: { principals: [bob] }, with: { tools: { deny: ["*"] } } }
`,
    );
    const { url } = await serve(file);
    const ops = new URL('/ops', url).href;
    const [alice, bob] = await Promise.all([clientWith(ops, { authorization: `Bearer ${ALICE}` }), clientWith(ops, { authorization: `Bearer ${BOB}` })]);
    expect((await alice.listTools()).tools.map((t) => t.name)).toContain('test_simple_text');
    expect((await bob.listTools()).tools).toEqual([]);
    const call = await bob.callTool({ name: 'test_simple_text', arguments: {} }).catch((err: unknown) => ({ isError: true, err }));
    expect((call as { isError?: boolean }).isError).toBe(true);
  });

  it("answer to a route's own auth: section, in place of the top-level one", async () => {
    const file = await pipelineFile(
      `serve: { http: { port: 0 } }
${upstream}auth: { apiKeys: [{ id: alice, key: "${ALICE}" }] }
routes:
  /ops:
    upstreams: { ops: ${fixture} }
    auth: { apiKeys: [{ id: ops, key: "${OPS}" }] }
`,
    );
    const { url } = await serve(file);
    const ops = new URL('/ops', url).href;
    expect((await post(ops, initialize(), { authorization: `Bearer ${ALICE}` })).status).toBe(401);
    expect((await post(ops, initialize(), { authorization: `Bearer ${OPS}` })).status).toBe(200);
    expect((await post(url, initialize(), { authorization: `Bearer ${OPS}` })).status).toBe(401);
    expect((await post(url, initialize(), { authorization: `Bearer ${ALICE}` })).status).toBe(200);
  });

  it("check a JWT against the route's own resource identifier, and publish its RFC 9728 metadata at the path-suffixed URL", async () => {
    const issuer = await startIssuer();
    issuers.push(issuer);
    const file = await pipelineFile(
      `serve: { http: { port: 0 } }
${upstream}auth:
  jwt: { jwksUrl: "${issuer.jwksUrl}", issuer: "${issuer.issuer}", audience: "https://mcp.example/mcp" }
routes:
  /b:
    upstreams: { b: ${fixture} }
`,
    );
    const { url } = await serve(file);
    const b = new URL('/b', url).href;
    const forMcp = await issuer.sign({ aud: 'https://mcp.example/mcp' });
    const forB = await issuer.sign({ aud: 'https://mcp.example/b' });
    expect((await post(url, initialize(), { authorization: `Bearer ${forMcp}` })).status).toBe(200);
    const refused = await post(b, initialize(), { authorization: `Bearer ${forMcp}` });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toContain('resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/b"');
    expect((await post(b, initialize(), { authorization: `Bearer ${forB}` })).status).toBe(200);
    expect((await post(url, initialize(), { authorization: `Bearer ${forB}` })).status).toBe(401);
    const metadata = await raw(new URL('/.well-known/oauth-protected-resource/b', url).href, { method: 'GET' });
    expect(metadata.status).toBe(200);
    expect(metadata.json()).toMatchObject({ resource: 'https://mcp.example/b', authorization_servers: [issuer.issuer] });
    const top = await raw(new URL('/.well-known/oauth-protected-resource/mcp', url).href, { method: 'GET' });
    expect(top.json()).toMatchObject({ resource: 'https://mcp.example/mcp' });
  });
});

describe('the admin listener', () => {
  const adminOf = async (run: CliRun): Promise<string> => {
    const line = await run.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('admin listener ready'));
    return `http://127.0.0.1:${new URL(line.url as string).port}`;
  };

  it('refuses to bind beyond loopback with no auth (exit 2), like the faces', async () => {
    const file = await pipelineFile(`serve: { http: { port: 0 } }\nadmin: { host: 0.0.0.0, port: 0 }\n${upstream}`);
    const run = runCli(['--config', file]);
    runs.push(run);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toMatch(/admin\.host is 0\.0\.0\.0.*no auth section/);
  });

  it('beyond loopback takes the top-level auth: metrics and the dashboard need a key, the probes do not', async () => {
    const file = await pipelineFile(
      `serve: { http: { port: 0 } }\nadmin: { host: 0.0.0.0, port: 0 }\n${upstream}auth: { apiKeys: [{ id: alice, key: "${ALICE}" }] }\n`,
    );
    const run = runCli(['--config', file]);
    runs.push(run);
    const admin = await adminOf(run);
    expect((await raw(`${admin}/metrics`, { method: 'GET' })).status).toBe(401);
    expect((await raw(`${admin}/`, { method: 'GET' })).status).toBe(401);
    expect((await raw(`${admin}/metrics`, { method: 'GET', headers: { authorization: `Bearer ${BOB}` } })).status).toBe(401);
    expect((await raw(`${admin}/metrics`, { method: 'GET', headers: { authorization: `Bearer ${ALICE}` } })).status).toBe(200);
    expect((await raw(`${admin}/healthz`, { method: 'GET' })).status).toBe(200);
  });

  it('answers to admin.auth of its own, on loopback too', async () => {
    const file = await pipelineFile(`serve: { http: { port: 0 } }\nadmin: { port: 0, auth: { apiKeys: [{ id: ops, key: "${OPS}" }] } }\n${upstream}`);
    const run = runCli(['--config', file]);
    runs.push(run);
    const admin = await adminOf(run);
    expect((await raw(`${admin}/health/servers`, { method: 'GET' })).status).toBe(401);
    expect((await raw(`${admin}/health/servers`, { method: 'GET', headers: { 'x-api-key': OPS } })).status).toBe(200);
  });
});

describe('a reload that revokes a key', () => {
  /** A 2025-11-25 session opened with `key`, and its GET stream. */
  async function listening(url: string, key: string): Promise<{ headers: Record<string, string>; stream: SseStream }> {
    const init = await post(url, initialize(), { authorization: `Bearer ${key}` });
    expect(init.status).toBe(200);
    const headers = { authorization: `Bearer ${key}`, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    const stream = await openSse(url, { headers: { ...headers, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    return { headers, stream };
  }

  it("closes that key's open streams and sessions; the others' stay", async () => {
    const keys = (ids: string[]) =>
      `serve: { http: { port: 0 } }\n${upstream}auth:\n  apiKeys:\n${ids.map((id) => `    - { id: ${id}, key: "${id === 'alice' ? ALICE : BOB}" }\n`).join('')}`;
    const file = await pipelineFile(keys(['alice', 'bob']));
    const { run, url } = await serve(file);
    const alice = await listening(url, ALICE);
    const bob = await listening(url, BOB);
    await writeFile(file, keys(['alice']));
    run.child.kill('SIGHUP');
    await run.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('reloaded'));
    // Bob's stream ends (its events, if any, first).
    while ((await bob.stream.next()) !== undefined);
    expect((await post(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, bob.headers)).status).toBe(401);
    const ping = await post(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, alice.headers);
    expect(ping.status).toBe(200);
    alice.stream.drop();
  });
});
