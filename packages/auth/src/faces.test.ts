import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import {
  initialize,
  logText,
  post,
  raw,
  recordingLogger,
  selfSignedCertificate,
  startFixtureHttpServer,
  startIssuer,
  Teardown,
  type LogLine,
} from '@mcproxy/testing';
import { streamableHttpUpstream } from '@mcproxy/transport-streamable-http';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedProxy } from '../test/setup.js';

const t = new Teardown();
afterEach(() => t.run());

const KEY = 'team-key-0123456789abcdef';
const keys = { apiKeys: [{ id: 'team', key: KEY }] };

describe('RFC 9728 protected resource metadata', () => {
  it('serves the document at the path-suffixed and the bare well-known URL, to anyone, and names it in every 401', async () => {
    const issuer = await startIssuer();
    t.add(() => issuer.close());
    const audience = 'https://mcp.example/mcp';
    const { http } = await guardedProxy(t, {
      jwt: { jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience, scopes: ['mcp:tools'], authorizationServers: ['https://login.example/'] },
    });
    const challenge = (await post(http.url, initialize())).headers['www-authenticate'] ?? '';
    const named = /resource_metadata="([^"]+)"/.exec(challenge)?.[1] ?? '';
    // RFC 9728 §3.1: the well-known path inserted between the host and the resource's path.
    expect(named).toBe('https://mcp.example/.well-known/oauth-protected-resource/mcp');
    for (const path of [new URL(named).pathname, '/.well-known/oauth-protected-resource']) {
      const res = await raw(http.url, { method: 'GET', path });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      const doc = res.json() as Record<string, unknown>;
      // §2: resource is REQUIRED; §3.3: it must be the identifier the client asked about.
      expect(doc.resource).toBe(audience);
      expect(doc).toEqual({
        resource: audience,
        authorization_servers: ['https://login.example/'],
        scopes_supported: ['mcp:tools'],
        bearer_methods_supported: ['header'],
        resource_name: 'mcproxy',
      });
      for (const server of doc.authorization_servers as string[]) expect(URL.canParse(server)).toBe(true);
    }
    expect((await raw(http.url, { method: 'POST', path: '/.well-known/oauth-protected-resource/mcp' })).status).toBe(405);
    expect((await raw(http.url, { method: 'GET', path: '/.well-known/oauth-protected-resource/other' })).status).toBe(401);
  });
});

describe('CORS', () => {
  const preflight = (origin: string, headers = 'authorization, content-type, mcp-session-id, mcp-protocol-version') => ({
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
  });

  it('answers a preflight from an allowed origin without credentials, and refuses one from any other', async () => {
    const { http } = await guardedProxy(t, keys, { http: { cors: { origins: ['https://app.example'] } } });
    const ok = await raw(http.url, preflight('https://app.example'));
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(ok.headers['access-control-allow-methods']).toBe('GET, POST, DELETE');
    expect(ok.headers['access-control-allow-headers']).toContain('mcp-session-id');
    expect(ok.headers['access-control-allow-headers']).toContain('authorization');
    expect(ok.headers.vary).toBe('Origin');

    const refused = await raw(http.url, preflight('https://evil.example'));
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect((await raw(http.url, preflight('https://app.example', 'authorization, x-custom'))).status).toBe(403);
  });

  it('marks answers to an allowed origin (Mcp-Session-Id exposed), and the DNS-rebinding guard lets that origin in', async () => {
    const { http } = await guardedProxy(t, keys, { http: { cors: { origins: ['https://app.example'] } } });
    const res = await post(http.url, initialize(), { origin: 'https://app.example', authorization: `Bearer ${KEY}` });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(res.headers['access-control-expose-headers']).toContain('Mcp-Session-Id');
    const denied = await post(http.url, initialize(), { origin: 'https://app.example' });
    expect(denied.status).toBe(401);
    // A browser may read why: the challenge is exposed too.
    expect(denied.headers['access-control-expose-headers']).toContain('WWW-Authenticate');
    const foreign = await post(http.url, initialize(), { origin: 'https://evil.example', authorization: `Bearer ${KEY}` });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });
});

/** One HTTPS request trusting `ca`; resolves with the status and the server certificate's fingerprint. */
const httpsPost = (url: string, ca: string, body: unknown, headers: Record<string, string>) =>
  new Promise<{ status: number; fingerprint: string; headers: IncomingHttpHeaders }>((resolve, reject) => {
    const req = httpsRequest(
      url,
      { method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });

describe('TLS', () => {
  it('serves HTTPS with a certificate made in the test, and a reload takes a new one for new connections', async () => {
    const first = selfSignedCertificate();
    const { http } = await guardedProxy(t, keys, { http: { tls: first } });
    expect(http.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const one = await httpsPost(http.url, first.cert, initialize(), { authorization: `Bearer ${KEY}` });
    expect(one.status).toBe(200);
    expect(one.fingerprint).toBe(new X509Certificate(first.cert).fingerprint256);
    await expect(httpsPost(http.url, first.cert, initialize(), {}).then((r) => r.status)).resolves.toBe(401);
    // Plain HTTP on the HTTPS port gets nothing useful.
    await expect(post(http.url.replace('https:', 'http:'), initialize(), { authorization: `Bearer ${KEY}` })).rejects.toThrow();

    const second = selfSignedCertificate('renewed');
    http.reloadTls(second);
    const two = await httpsPost(http.url, second.cert, initialize(), { authorization: `Bearer ${KEY}` });
    expect(two.status).toBe(200);
    expect(two.fingerprint).toBe(new X509Certificate(second.cert).fingerprint256);
    expect(() => http.reloadTls({ cert: first.cert, key: second.key })).toThrow();
  });
});

describe('credentials stay at the door', () => {
  it('never reach an upstream, and never reach a log line, right or wrong', async () => {
    const fixture = await startFixtureHttpServer();
    t.add(() => fixture.close());
    // A recording hop in front of the fixture: every header the upstream was sent.
    const seen: IncomingHttpHeaders[] = [];
    const bodies: string[] = [];
    const hop = createServer((req, res) => {
      seen.push(req.headers);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        bodies.push(body.toString('utf8'));
        const target = new URL(fixture.url);
        const out = httpRequest(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        out.on('error', () => res.destroy());
        out.end(body);
      });
    });
    await new Promise<void>((r) => hop.listen(0, '127.0.0.1', r));
    t.add(
      () =>
        new Promise<void>((r) => {
          hop.closeAllConnections();
          hop.close(() => r());
        }),
    );
    const upstreamUrl = `http://127.0.0.1:${(hop.address() as AddressInfo).port}/mcp`;

    const issuer = await startIssuer();
    t.add(() => issuer.close());
    const lines: LogLine[] = [];
    const log = recordingLogger(lines);
    const audience = 'https://mcp.example/mcp';
    const { http } = await guardedProxy(
      t,
      { ...keys, jwt: { jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience } },
      { log, upstream: { name: 'up', mode: 'per-session', connect: streamableHttpUpstream({ url: upstreamUrl, log }) } },
    );
    const token = await issuer.sign({ aud: audience });
    const wrongKey = `${KEY}-wrong`;
    const forged = `${token.slice(0, -4)}AAAA`;
    const ways: Array<Record<string, string>> = [{ authorization: `Bearer ${KEY}` }, { 'x-api-key': KEY }, { authorization: `Bearer ${token}` }];
    for (const headers of ways) {
      const opened = await post(http.url, initialize(), headers);
      expect(opened.status).toBe(200);
      const session = { 'mcp-session-id': String(opened.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
      const called = await post(
        http.url,
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'test_simple_text', arguments: {} } },
        { ...headers, ...session },
      );
      expect(called.status).toBe(200);
    }
    for (const headers of [{ authorization: `Bearer ${wrongKey}` }, { authorization: `Bearer ${forged}` }]) {
      expect((await post(http.url, initialize(), headers)).status).toBe(401);
    }
    expect(seen.length).toBeGreaterThan(3);
    const upstreamSaw = JSON.stringify({ seen, bodies });
    const logged = logText(lines);
    for (const secret of [KEY, token, wrongKey, forged, token.split('.')[2] ?? 'x']) {
      expect(upstreamSaw).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    expect(seen.every((h) => h.authorization === undefined && h['x-api-key'] === undefined)).toBe(true);
  });
});
