import { afterEach, describe, expect, it } from 'vitest';
import { createChannelPair, createProxy, isNotDelivered, ProxyErrorCode, type Channel, type CloseInfo, type Proxy } from '@mcproxy/core';
import { ECHO_SERVER, isAlive, TestClient } from '../../test/harness.js';
import { RecordingLogger } from '../../test/recording-logger.js';
import { reapChildren, stdioUpstream } from '../index.js';

const channels: Channel[] = [];
const proxies: Proxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
  await Promise.all(channels.splice(0).map((c) => c.close()));
  await reapChildren();
});

/** A started channel to the echo fixture, with every CloseInfo its onclose was given. */
async function open(flags: string[] = []) {
  const log = new RecordingLogger();
  const channel = await stdioUpstream({ name: 'fx', command: process.execPath, args: [ECHO_SERVER, ...flags], log, graceMs: 500 })();
  channels.push(channel);
  const closes: Array<CloseInfo | undefined> = [];
  const closed = new Promise<CloseInfo | undefined>((resolve) => {
    channel.onclose = (info) => {
      closes.push(info);
      resolve(info);
    };
  });
  await channel.start();
  const pid = (await log.next((e) => e.msg === 'upstream process started')).fields.childPid as number;
  return { channel, closed, closes, pid, log };
}

const call = (id: number, name: string, args: object = {}) => ({ jsonrpc: '2.0' as const, id, method: 'tools/call', params: { name, arguments: args } });

describe('a stdio child that ends', () => {
  it('closes the channel with its exit code and last stderr line, and refuses later sends as not delivered', async () => {
    const { channel, closed } = await open();
    await channel.send(call(1, 'stderr', { text: 'fatal: no API key' }));
    await channel.send(call(2, 'hang', { exitWhen: 1 }));
    const info = await closed;
    // The fixture says "hanging 1" on stderr just before it exits.
    expect(info?.reason).toBe('upstream "fx" exited with code 7; last stderr line: "hanging 1"');
    expect(info?.data).toEqual({ exitCode: 7, signal: null, stderr: 'hanging 1' });
    const late = channel.send(call(3, 'echo', { text: 'too late' }));
    await expect(late).rejects.toThrow(/upstream "fx" exited with code 7/);
    expect(isNotDelivered(await late.catch((err: unknown) => err))).toBe(true);
  });

  it('says a child was killed by SIGKILL, and closes once', async () => {
    const { channel, closed, closes, pid, log } = await open();
    await log.next((e) => e.fields.stderr === 'echo fixture ready');
    process.kill(pid, 'SIGKILL');
    const info = await closed;
    expect(info?.reason).toMatch(/^upstream "fx" was killed by SIGKILL; last stderr line: "echo fixture ready"$/);
    expect(info?.data).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    await channel.close();
    expect(closes).toHaveLength(1);
    expect(isAlive(pid)).toBe(false);
  });

  it('answers a request in flight at once when its child is killed with -9, naming the signal', async () => {
    const log = new RecordingLogger();
    const connect = stdioUpstream({ name: 'fx', command: process.execPath, args: [ECHO_SERVER], log });
    const proxy = createProxy({ upstreams: [{ name: 'fx', mode: 'shared', connect }], log });
    proxies.push(proxy);
    const [clientEnd, serverEnd] = createChannelPair();
    const client = new TestClient(clientEnd);
    await client.start();
    await proxy.accept(serverEnd);
    const answer = client.call('hang', { exitWhen: 99 });
    await log.next((e) => e.fields.stderr === 'hanging 1');
    const pid = (await log.next((e) => e.msg === 'upstream process started')).fields.childPid as number;
    process.kill(pid, 'SIGKILL');
    const { error } = await answer;
    expect(error?.code).toBe(ProxyErrorCode.UpstreamClosed);
    expect(error?.message).toContain('upstream "fx" closed before answering tools/call: was killed by SIGKILL');
    expect(error?.data).toMatchObject({ upstream: 'fx', signal: 'SIGKILL', exitCode: null, stderr: 'hanging 1' });
  });

  it('takes EPIPE from a child that closed its stdin as not delivered, and stops that child', async () => {
    const { channel, closed, log, pid } = await open();
    const answered = new Promise((resolve) => (channel.onmessage = resolve));
    await channel.send(call(1, 'deafen'));
    await answered;
    await log.next((e) => e.fields.stderr === 'echo fixture ready');
    // The pipe's reader is gone: writes fail until one reports EPIPE (the first may still fit).
    let failure: unknown;
    for (let id = 2; failure === undefined && id < 100; id++)
      failure = await channel.send(call(id, 'echo', { text: 'x'.repeat(70_000) })).then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(isNotDelivered(failure)).toBe(true);
    expect((await closed)?.reason).toMatch(/^upstream "fx" (exited with code 0|was killed by SIGTERM) after the proxy stopped it/);
    expect(isAlive(pid)).toBe(false);
  });

  it('says the proxy stopped it when the channel was closed on purpose', async () => {
    const { channel, closed } = await open();
    await channel.close();
    expect((await closed)?.reason).toMatch(/^upstream "fx" exited with code 0 after the proxy stopped it/);
  });

  it('rejects connect() naming the command when it cannot be spawned', async () => {
    const connect = stdioUpstream({ name: 'fx', command: 'mcproxy-no-such-command-7f3a' });
    await expect(connect()).rejects.toThrow('could not start "mcproxy-no-such-command-7f3a": command not found');
  });
});
