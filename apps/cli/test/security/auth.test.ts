import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { selfSignedCertificate } from '@mcproxy/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE, runCli } from '../kit/cli-process.js';
import { cliScaffold } from '../kit/cli-scaffold.js';

const cli = cliScaffold('mcproxy-auth-');
const { runs, pipelineFile } = cli;
const serve = (file: string, env: NodeJS.ProcessEnv = {}) => cli.serve(file, env, 'listening');
const clientWith = (url: string, headers: Record<string, string>) => cli.clientWith(url, headers, 'team');

afterEach(async () => {
  await cli.cleanup();
});

const A_KEY = 'team-a-key-0123456789abcdef';
const B_KEY = 'team-b-key-0123456789abcdef';

const upstream = `upstreams:\n  fixture: { command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(FIXTURE)}, --stdio] }\n`;

describe('mcproxy with auth:', () => {
  it('gives each principal its own view on one endpoint (when:), seen from two clients at once', async () => {
    const file = await pipelineFile(
      `serve: { http: { port: 0 } }
${upstream}auth:
  apiKeys:
    - { id: team-a, key: "\${A_KEY}" }
    - { id: team-b, key: "\${B_KEY}" }
pipeline:
  - use: filter
    when: { principals: [team-a] }
    with: { tools: { allow: [test_simple_text] } }
  - use: filter
    when: { principals: [team-b] }
    with: { tools: { deny: [test_simple_text] } }
`,
    );
    const { url } = await serve(file, { A_KEY, B_KEY });
    const [a, b] = await Promise.all([clientWith(url, { authorization: `Bearer ${A_KEY}` }), clientWith(url, { 'x-api-key': B_KEY })]);
    const [aTools, bTools] = await Promise.all([a.listTools(), b.listTools()]);
    expect(aTools.tools.map((t) => t.name)).toEqual(['test_simple_text']);
    const bNames = bTools.tools.map((t) => t.name);
    expect(bNames).not.toContain('test_simple_text');
    expect(bNames.length).toBeGreaterThan(3);
    const [aCall, bCall] = await Promise.allSettled([
      a.callTool({ name: 'test_simple_text', arguments: {} }),
      b.callTool({ name: 'test_simple_text', arguments: {} }),
    ]);
    expect(aCall.status).toBe('fulfilled');
    expect(bCall.status === 'rejected' || (bCall.value as { isError?: boolean }).isError === true).toBe(true);
    await expect(clientWith(url, {})).rejects.toThrow(/401|Unauthorized/);
    await expect(clientWith(url, { authorization: `Bearer ${A_KEY}x` })).rejects.toThrow(/401|Unauthorized/);
  });

  it('refuses to serve beyond loopback without auth (exit 2), and says how to allow it', async () => {
    const file = await pipelineFile(`serve: { http: { host: 0.0.0.0, port: 0 } }\n${upstream}`);
    const run = runCli(['--config', file]);
    runs.push(run);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toMatch(/serve\.http\.host is 0\.0\.0\.0.*allowUnauthenticated: true/);
  });

  it('names the file and path of a bad auth section (exit 2)', async () => {
    const file = await pipelineFile(`${upstream}auth: { apiKeys: [{ id: ci, key: short }] }\n`);
    const run = runCli(['--config', file]);
    runs.push(run);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr.join('\n')).toContain(`invalid pipeline file ${file}:\n  at auth.apiKeys[0].key: at least 16 characters`);
  });

  it('serves HTTPS from PEM files and takes renewed ones on SIGHUP, without stopping', async () => {
    const first = selfSignedCertificate();
    const file = await pipelineFile(
      `serve: { http: { port: 0, tls: { cert: cert.pem, key: key.pem } } }\n${upstream}auth: { apiKeys: [{ id: a, key: "${A_KEY}" }] }\n`,
    );
    await writeFile(join(cli.dir!, 'cert.pem'), first.cert);
    await writeFile(join(cli.dir!, 'key.pem'), first.key);
    const { run, url } = await serve(file);
    expect(url).toMatch(/^https:/);
    const fingerprint = (ca: string) =>
      new Promise<string>((resolve, reject) => {
        const req = httpsRequest(url, { method: 'GET', ca, agent: false }, (res) => {
          resolve((res.socket as TLSSocket).getPeerCertificate().fingerprint256);
          res.resume();
        });
        req.on('error', reject);
        req.end();
      });
    expect(await fingerprint(first.cert)).toBe(new X509Certificate(first.cert).fingerprint256);
    const second = selfSignedCertificate('renewed');
    await writeFile(join(cli.dir!, 'cert.pem'), second.cert);
    await writeFile(join(cli.dir!, 'key.pem'), second.key);
    run.child.kill('SIGHUP');
    await run.waitLog((l) => l.msg === 'SIGHUP: TLS certificates reloaded');
    expect(await fingerprint(second.cert)).toBe(new X509Certificate(second.cert).fingerprint256);
    expect(run.child.exitCode).toBeNull();
  });

  it('takes a changed auth: on reload without a restart: a revoked key is refused, a new one admitted, and turning auth off waits for a restart', async () => {
    const keys = (...ids: string[]) => ids.map((id) => `    - { id: ${id}, key: "\${${id === 'team-a' ? 'A_KEY' : 'B_KEY'}}" }`).join('\n');
    const text = (auth: string) => `serve: { http: { port: 0 } }\n${upstream}${auth}`;
    const file = await pipelineFile(text(`auth:\n  apiKeys:\n${keys('team-a')}\n`));
    const { run, url } = await serve(file, { A_KEY, B_KEY });
    await clientWith(url, { authorization: `Bearer ${A_KEY}` });
    await expect(clientWith(url, { authorization: `Bearer ${B_KEY}` })).rejects.toThrow(/401|Unauthorized/);

    await writeFile(file, text(`auth:\n  apiKeys:\n${keys('team-b')}\n`));
    run.child.kill('SIGHUP');
    await run.waitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('reloaded'));
    await clientWith(url, { 'x-api-key': B_KEY });
    await expect(clientWith(url, { authorization: `Bearer ${A_KEY}` })).rejects.toThrow(/401|Unauthorized/);

    // Without auth: the faces would change what they were started with: the log says so and keys still hold.
    await writeFile(file, text(''));
    run.child.kill('SIGHUP');
    const warned = await run.waitLog((l) => l.msg === 'these settings changed in the file and take effect only at the next start');
    expect(warned.settings).toEqual(['auth (authentication turned off)']);
    await expect(clientWith(url, {})).rejects.toThrow(/401|Unauthorized/);
    await clientWith(url, { 'x-api-key': B_KEY });
  });
});
