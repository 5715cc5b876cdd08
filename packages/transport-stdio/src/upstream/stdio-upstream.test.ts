import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, createChannelPair, createProxy, ProxyErrorCode, type LinkMode, type Proxy } from '@mcproxy/core';
import { ECHO_SERVER, isAlive, TestClient, textOf } from '../../test/harness.js';
import { RecordingLogger, type Entry } from '../../test/recording-logger.js';
import { liveChildren, reapChildren, stdioUpstream, type StdioUpstreamOptions } from '../index.js';

const proxies: Proxy[] = [];

afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await reapChildren();
  vi.restoreAllMocks();
});

interface Setup {
  flags?: string[];
  mode?: LinkMode;
  options?: Partial<StdioUpstreamOptions>;
}

/** A proxy whose one upstream is the echo fixture, and a client on an in-memory downstream. */
async function setup({ flags = [], mode = 'shared', options = {} }: Setup = {}) {
  const log = new RecordingLogger();
  const connect = stdioUpstream({ name: 'fx', command: process.execPath, args: [ECHO_SERVER, ...flags], log, ...options });
  const proxy = createProxy({ upstreams: [{ name: 'fx', mode, connect }], log });
  proxies.push(proxy);
  const [clientEnd, serverEnd] = createChannelPair();
  const client = new TestClient(clientEnd);
  await client.start();
  await proxy.accept(serverEnd);
  return { log, proxy, client };
}

const started = (e: Entry): boolean => e.msg === 'upstream process started';
const pidFrom = async (log: RecordingLogger): Promise<number> => (await log.next(started)).fields.childPid as number;

describe('stdioUpstream', () => {
  it('carries a request and its answer through the proxy, id 0 included', async () => {
    const { client } = await setup();
    const hello = await client.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } });
    expect(hello.result?.serverInfo).toEqual({ name: 'echo-fixture', version: '0.0.0' });
    const echoed = await client.call('echo', { text: 'round trip' }, 0);
    expect(echoed.id).toBe(0);
    expect(textOf(echoed)).toBe('round trip');
  });

  it('logs the child stderr line by line and never writes it to stdout', async () => {
    const write = vi.spyOn(process.stdout, 'write');
    const { client, log } = await setup();
    await client.call('stderr', { text: 'first line\nsecond line' });
    const second = await log.next((e) => e.fields.stderr === 'second line');
    expect(second.fields.upstream).toBe('fx');
    expect(log.entries.some((e) => e.fields.stderr === 'first line')).toBe(true);
    const printed = write.mock.calls.map(([chunk]) => String(chunk)).join('');
    expect(printed).not.toContain('second line');
    expect(JSON.stringify(client.received)).not.toContain('second line');
  });

  it('logs a child that floods stderr at most 100 lines a second, and counts the rest', async () => {
    const { client, log } = await setup();
    const flood = Array.from({ length: 5000 }, (_, i) => `noise ${i}`).join('\n');
    await client.call('stderr', { text: flood });
    // The count of what was left out is told with the first line of a later second.
    await new Promise((r) => setTimeout(r, 1100));
    await client.call('stderr', { text: 'after' });
    await log.next((e) => e.fields.stderr === 'after');
    const logged = log.entries.filter((e) => typeof e.fields.stderr === 'string' && e.fields.stderr.startsWith('noise')).length;
    const skipped = log.entries.reduce((n, e) => n + (typeof e.fields.skipped === 'number' ? e.fields.skipped : 0), 0);
    expect(logged + skipped).toBe(5000);
    expect(logged).toBeLessThan(1000); // 100 a second: the flood takes well under ten
  });

  it('answers all three requests in flight, naming the upstream, when the child dies', async () => {
    const { client, log } = await setup();
    const answers = await Promise.all([1, 2, 3].map(() => client.call('hang', { exitWhen: 3 })));
    for (const answer of answers) {
      expect(answer.error?.code).toBe(ProxyErrorCode.UpstreamClosed);
      expect(answer.error?.message).toContain('upstream "fx"');
      expect(answer.error?.data).toMatchObject({ upstream: 'fx' });
    }
    const exit = await log.next((e) => e.msg?.startsWith('upstream process exited by itself') === true);
    expect(exit.fields).toMatchObject({ upstream: 'fx', code: 7, signal: null });
  });

  it('opens a new child for the next request after one died', async () => {
    const { client, log } = await setup();
    await Promise.all([client.call('hang', { exitWhen: 1 })]);
    await log.next((e) => e.msg?.startsWith('upstream process exited by itself') === true);
    expect(textOf(await client.call('echo', { text: 'again' }))).toBe('again');
    expect(log.entries.filter(started)).toHaveLength(2);
  });

  it('reaps the child when the proxy closes a shared link', async () => {
    const { client, log, proxy } = await setup();
    await client.call('echo', { text: 'x' });
    const pid = await pidFrom(log);
    expect(isAlive(pid)).toBe(true);
    await proxy.close();
    expect(isAlive(pid)).toBe(false);
    expect(liveChildren()).toBe(0);
  });

  it('reaps a per-session child when its session closes', async () => {
    const { client, log } = await setup({ mode: 'per-session' });
    await client.call('echo', { text: 'x' });
    const pid = await pidFrom(log);
    await client.channel.close();
    await log.next((e) => e.msg?.startsWith('upstream process stopped') === true);
    expect(isAlive(pid)).toBe(false);
  });

  it('sends SIGTERM to a child that outlives its stdin', async () => {
    // The grace only bounds the wait; a generous one keeps a loaded machine from turning SIGTERM into SIGKILL.
    const { client, log, proxy } = await setup({ flags: ['--linger'], options: { graceMs: 1_000 } });
    await client.call('echo', { text: 'x' });
    const pid = await pidFrom(log);
    await proxy.close();
    expect(isAlive(pid)).toBe(false);
    expect(log.entries.find((e) => e.msg?.startsWith('upstream process stopped'))?.fields.signal).toBe('SIGTERM');
  });

  it('SIGKILLs a child that ignores SIGTERM', async () => {
    const { client, log, proxy } = await setup({ flags: ['--linger', '--ignore-sigterm'], options: { graceMs: 500 } });
    await client.call('echo', { text: 'x' });
    const pid = await pidFrom(log);
    await proxy.close();
    expect(isAlive(pid)).toBe(false);
    expect(log.entries.some((e) => e.fields.stderr === 'got SIGTERM')).toBe(true);
    expect(log.entries.find((e) => e.msg?.startsWith('upstream process stopped'))?.fields.signal).toBe('SIGKILL');
  });

  it('answers with a clear error when the command does not exist', async () => {
    const { client } = await setup({ options: { command: 'mcproxy-no-such-command-7f3a' } });
    const answer = await client.call('echo', { text: 'x' });
    expect(answer.error?.code).toBe(ProxyErrorCode.UpstreamUnavailable);
    expect(answer.error?.message).toMatch(/upstream "fx".*could not start "mcproxy-no-such-command-7f3a": command not found/);
    expect(answer.error?.data).toMatchObject({ upstream: 'fx' });
  });

  it('rejects connect() with the reason when the working directory is missing', async () => {
    const connect = stdioUpstream({ name: 'fx', command: process.execPath, args: [ECHO_SERVER], cwd: '/nonexistent/mcproxy-test' });
    await expect(connect()).rejects.toThrow(`could not start "${process.execPath}": the working directory "/nonexistent/mcproxy-test" does not exist`);
  });

  it('gives the child its own env on top of PATH and the rest of the minimal set, and the cwd asked for', async () => {
    const { client } = await setup({ options: { env: { MCPROXY_TEST_VAR: 'layered' }, cwd: '/' } });
    expect(textOf(await client.call('env', { name: 'MCPROXY_TEST_VAR' }))).toBe('layered');
    expect(textOf(await client.call('env', { name: 'PATH' }))).toBe(process.env.PATH);
    expect(textOf(await client.call('cwd'))).toBe('/');
  });

  it('logs a non-JSON stdout line from the child and keeps going', async () => {
    const { client, log } = await setup();
    expect(textOf(await client.call('garbage'))).toBe('garbage written');
    const warning = await log.next((e) => e.level === 'warn' && e.fields.line === 'this is not json');
    expect(warning.msg).toBe('upstream wrote a line to stdout that is not JSON');
    expect(warning.fields.reason).toMatch(/^Parse error/);
    expect(textOf(await client.call('echo', { text: 'still here' }))).toBe('still here');
  });

  it('answers a request whose answer is over limits.upstreamMessageBytes with the limit, and goes on', async () => {
    const { client, log } = await setup({ options: { limits: { upstreamMessageBytes: 4096 } } });
    const answer = await client.call('huge', { bytes: 10_000 });
    expect(answer.error?.code).toBe(ProxyErrorCode.LimitExceeded);
    expect(answer.error?.message).toContain('limit upstreamMessageBytes (4096) reached');
    expect(answer.error?.data).toMatchObject({ upstream: 'fx', limit: 'upstreamMessageBytes', value: 4096 });
    expect(await log.next((e) => e.fields.limit === 'upstreamMessageBytes')).toMatchObject({ level: 'warn', fields: { upstream: 'fx', value: 4096 } });
    // A line that cannot be attributed (a notification here) is dropped, reported, and the link reads on.
    expect(textOf(await client.call('flood', { count: 3, bytes: 10_000 }))).toBe('flood done');
    expect(textOf(await client.call('echo', { text: 'still here' }))).toBe('still here');
  });

  it('answers a request at once when its answer passes the limit on a line that never ends', async () => {
    const { client, log } = await setup({ options: { limits: { upstreamMessageBytes: 4096 } } });
    const answer = await client.call('endless');
    expect(await log.next((e) => e.fields.limit === 'upstreamMessageBytes')).toMatchObject({ fields: { upstream: 'fx', value: 4096 } });
    expect(answer.error?.code).toBe(ProxyErrorCode.LimitExceeded);
    expect(answer.error?.message).toMatch(/upstream "fx" answered with more than 4096 bytes: limit upstreamMessageBytes \(4096\) reached/);
  });

  it('refuses options that cannot work, before anything runs', () => {
    expect(() => stdioUpstream({ name: 'fx', command: '' })).toThrow(ConfigError);
    expect(() => stdioUpstream({ name: 'fx', command: 'node', graceMs: -1 })).toThrow(/graceMs/);
    expect(() => stdioUpstream({ name: 'fx', command: 'node', maxLineBytes: 0 })).toThrow(/maxLineBytes/);
    expect(() => stdioUpstream({ name: 'fx', command: 'node', limits: { upstreamMessageBytes: -1 } })).toThrow(ConfigError);
  });

  it('reapChildren stops every child still running', async () => {
    const log = new RecordingLogger();
    const connect = stdioUpstream({ name: 'fx', command: process.execPath, args: [ECHO_SERVER, '--linger'], log, graceMs: 100 });
    await Promise.all([connect(), connect()]);
    const pids = log.entries.filter(started).map((e) => e.fields.childPid as number);
    expect(pids).toHaveLength(2);
    expect(liveChildren()).toBe(2);
    await reapChildren();
    expect(pids.map(isAlive)).toEqual([false, false]);
    expect(liveChildren()).toBe(0);
  });
});
