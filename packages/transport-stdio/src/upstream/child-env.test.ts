import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, type Channel, type Message } from '@mcproxy/core';
import { ECHO_SERVER } from '../../test/harness.js';
import { childEnv, MINIMAL_ENV_NAMES } from './child-env.js';
import { reapChildren, stdioUpstream, type StdioUpstreamOptions } from '../index.js';

const SECRET = 'MCPROXY_TEST_SECRET_FOR_ANOTHER_UPSTREAM';
afterEach(async () => {
  delete process.env[SECRET];
  await reapChildren();
});

/** What the echo fixture, started with `options`, sees in `name`. */
async function seen(name: string, options: Partial<StdioUpstreamOptions> = {}): Promise<string> {
  const channel: Channel = await stdioUpstream({ name: 'fx', command: process.execPath, args: [ECHO_SERVER], ...options })();
  try {
    const answer = new Promise<Message>((resolve) => (channel.onmessage = resolve));
    await channel.start();
    await channel.send({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'env', arguments: { name } } });
    const reply = (await answer) as unknown as { result: { content: Array<{ text: string }> } };
    return reply.result.content[0]!.text;
  } finally {
    await channel.close();
  }
}

describe('the environment of a stdio child', () => {
  it('holds no variable of the proxy outside the minimal set by default', async () => {
    process.env[SECRET] = 'hunter2';
    expect(await seen(SECRET)).toBe('<unset>');
    // What npx and friends need is there.
    expect(await seen('PATH')).toBe(process.env.PATH);
  });

  it('passes the variables inheritEnv names, and everything with "all"', async () => {
    process.env[SECRET] = 'hunter2';
    expect(await seen(SECRET, { inheritEnv: [SECRET] })).toBe('hunter2');
    expect(await seen(SECRET, { inheritEnv: 'all' })).toBe('hunter2');
    expect(await seen(SECRET, { inheritEnv: 'minimal' })).toBe('<unset>');
  });

  it("layers the upstream's own env over what it inherits", async () => {
    expect(await seen('MCPROXY_OWN', { env: { MCPROXY_OWN: 'mine' } })).toBe('mine');
    expect(await seen('PATH', { env: { PATH: '/only/here' }, command: process.execPath })).toBe('/only/here');
  });

  it('keeps exported shell functions out, as the MCP SDK does', () => {
    const from = { HOME: '() { :; }; echo pwned', PATH: '/bin', OTHER: 'x', FN: '() { x; }' };
    expect(childEnv('minimal', {}, from)).toEqual({ PATH: '/bin' });
    expect(childEnv(['FN', 'OTHER'], {}, from)).toEqual({ PATH: '/bin', OTHER: 'x' });
    expect(MINIMAL_ENV_NAMES).toContain('PATH');
    expect(childEnv('minimal', {}, { NODE_EXTRA_CA_CERTS: '/etc/ca.pem', AWS_SECRET_ACCESS_KEY: 'k' })).toEqual({ NODE_EXTRA_CA_CERTS: '/etc/ca.pem' });
  });

  it('refuses an inheritEnv that names no variable', () => {
    expect(() => stdioUpstream({ name: 'fx', command: 'node', inheritEnv: ['A=B'] })).toThrow(ConfigError);
    expect(() => stdioUpstream({ name: 'fx', command: 'node', inheritEnv: 'some' as 'all' })).toThrow(/inheritEnv/);
  });
});
