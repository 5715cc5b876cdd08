import { afterEach, describe, expect, it } from 'vitest';
import { closeClients, rawHttp, startWitness } from '../kit/clients.js';
import { closeSseStreams, openSseStream, rawSession } from '../kit/face-session.js';
import { hostileStdio, startProxy, stopAll } from '../kit/proxy-process.js';
import { expectSurvived } from '../kit/survived.js';

afterEach(async () => {
  closeSseStreams();
  await closeClients();
  await stopAll();
});

// Small on purpose: the test waits for these (rawHttp's 15 s is the "no hang" bound).
const limits = { bodyTimeoutMs: 1000, headersTimeoutMs: 1000 };

describe('fault: stalled uploads are cut within bodyTimeoutMs / headersTimeoutMs', () => {
  it('streamable HTTP: a body that stops halfway, and headers that never finish, are cut; another session keeps working', async () => {
    const proxy = await startProxy({ serve: { http: { port: 0 } }, upstreams: { h: hostileStdio() }, limits });
    const url = new URL(proxy.url!);
    const witness = await startWitness(proxy.url!);
    const sessionId = await rawSession(proxy.url!);
    const stalledBody = [
      `POST ${url.pathname} HTTP/1.1`,
      `Host: ${url.host}`,
      'Content-Type: application/json',
      'Accept: application/json, text/event-stream',
      `Mcp-Session-Id: ${sessionId}`,
      'Content-Length: 1000',
      '',
      '{"jsonrpc":',
    ].join('\r\n');
    const body = await rawHttp(Number(url.port), stalledBody);
    expect(body.status === undefined || body.status === 408, JSON.stringify(body)).toBe(true);
    const stalledHeaders = `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: app`;
    const headers = await rawHttp(Number(url.port), stalledHeaders);
    expect(headers.status === undefined || headers.status === 408, JSON.stringify(headers)).toBe(true);
    await expectSurvived(proxy, witness);
  });

  it('legacy SSE: a POST to /messages whose body stalls is cut', async () => {
    const proxy = await startProxy({ serve: { sse: { port: 0 } }, upstreams: { h: hostileStdio() }, limits });
    const url = new URL(proxy.sseUrl!);
    const messages = await openSseStream(Number(url.port), url.host, url.pathname);
    const stalled = [`POST ${messages} HTTP/1.1`, `Host: ${url.host}`, 'Content-Type: application/json', 'Content-Length: 1000', '', '{"jsonrpc":'].join(
      '\r\n',
    );
    const answer = await rawHttp(Number(url.port), stalled);
    expect(answer.status === undefined || answer.status === 408, JSON.stringify(answer)).toBe(true);
    expect(proxy.alive()).toBe(true);
  });
});
