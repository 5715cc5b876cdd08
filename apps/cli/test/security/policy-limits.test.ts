// Issue 23, findings 5 and 7: a per-tool limit cannot be passed by through
// tool-search's call_tool (the CLI refuses the order that would allow it, and
// the order it asks for limits the real tool), and a client's notifications
// draw on its rate limit: past it they are dropped and counted.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE_KEY, BOB_KEY, callText, files, Kit } from '../kit/policy-kit.js';

const SLOW = { timeout: 60_000 };
const kit = new Kit();
afterEach(() => kit.stop());

const auth = `auth:\n  apiKeys:\n    - { id: alice, key: "\${ALICE_KEY}" }\n    - { id: bob, key: "\${BOB_KEY}" }\n`;
const deployLimit = `  - use: rate-limit\n    with: { tools: [{ match: deploy, rate: 1, per: hour, burst: 1 }] }\n`;

describe('per-tool policy and tool-search (issue 23, finding 5)', () => {
  it('refuses rate-limit (tools:), filter (tools) or an audit log before tool-search, saying the order to use (exit 2)', SLOW, async () => {
    const head = `serve: { http: { port: 0 } }\nupstreams: { files: ${files} }\npipeline:\n`;
    const cases = [
      `${head}${deployLimit}  - use: tool-search\n  - use: aggregate\n`,
      `${head}  - use: filter\n    with: { tools: { deny: [deploy] } }\n  - use: tool-search\n`,
      `${head}  - use: logging\n    with: { audit: true }\n  - use: tool-search\n`,
    ];
    for (const [i, text] of cases.entries()) {
      const { code, stderr } = await kit.refused(text);
      expect(code, text).toBe(2);
      expect(stderr).toContain('at pipeline[0]:');
      expect(stderr).toMatch(/comes before tool-search \(pipeline\[1\]\).*put tool-search before (rate-limit|filter|logging)/);
      if (i === 0) expect(stderr).toContain('a rate-limit with only principal: may stay first');
    }
  });

  it('limits the real tool when tool-search comes first: a second call_tool deploy is refused', SLOW, async () => {
    const url = await kit.serve(
      `serve: { http: { port: 0 } }\nupstreams: { files: ${files} }\npipeline:\n  - use: tool-search\n${deployLimit}  - use: aggregate\n`,
    );
    const client = await kit.client(url, {});
    expect(await callText(client, 'call_tool', { name: 'deploy' })).toBe('deployed');
    expect(await callText(client, 'call_tool', { name: 'deploy' })).toMatch(/rate limit: tools\/call deploy refused/);
    expect(await callText(client, 'deploy')).toMatch(/rate limit: tools\/call deploy refused/);
    expect(await callText(client, 'call_tool', { name: 'heard' })).toMatch(/^\d+$/);
  });
});

describe('client notifications and the rate limit (issue 23, finding 7)', () => {
  it('drops the notifications of a principal past its limit, and logs how many', SLOW, async () => {
    const url = await kit.serve(
      `serve: { http: { port: 0 } }\nupstreams: { files: ${files} }\n${auth}pipeline:\n  - use: rate-limit\n    with: { principal: { rate: 1, per: hour, burst: 5 } }\n`,
    );
    const bob = new Client({ name: 'flood', version: '1' }, { capabilities: { roots: { listChanged: true } } });
    kit.clients.push(bob);
    await bob.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { 'x-api-key': BOB_KEY } } }));
    // Spend bob's bucket (initialize took one).
    let spent = false;
    for (let i = 0; i < 8 && !spent; i++) spent = (await callText(bob, 'heard')).includes('rate limit');
    expect(spent).toBe(true);
    for (let i = 0; i < 1000; i++) await bob.sendRootsListChanged();
    const alice = await kit.client(url, { 'x-api-key': ALICE_KEY });
    // The upstream heard the proxy's initialized and a few of bob's and alice's, not a thousand.
    expect(Number(await callText(alice, 'heard'))).toBeLessThan(10);
    const line = await kit.runs[0]!.waitLog((l) => l.msg === 'client notification dropped: rate limit');
    expect(line).toMatchObject({ limit: 'principal', subject: 'api-key:bob', method: 'notifications/roots/list_changed' });
    expect(line.dropped).toBeGreaterThanOrEqual(1);
  });
});
