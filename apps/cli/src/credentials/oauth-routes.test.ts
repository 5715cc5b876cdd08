import { request } from 'node:http';
import { createAuthenticator } from '@mcproxy/auth';
import { createProxy, type Logger } from '@mcproxy/core';
import { logText, recordingLogger, Teardown } from '@mcproxy/testing';
import { serveStreamableHttp, type HttpServer } from '@mcproxy/transport-streamable-http';
import { afterEach, describe, expect, it } from 'vitest';
import { oauthRoutes, withOAuthPaths, type OAuthPages, type PageAnswer } from './oauth-routes.js';

const t = new Teardown();
afterEach(() => t.run());

/** Pages that say what they were given; `fail` makes them throw with a message holding a secret. */
function pages(fail = false): OAuthPages & { seen: Array<[string, string, string | undefined]> } {
  const seen: Array<[string, string, string | undefined]> = [];
  const answer =
    (which: string) =>
    async (query: URLSearchParams, cookie: string | undefined): Promise<PageAnswer> => {
      seen.push([which, query.toString(), cookie]);
      if (fail) throw new Error('token endpoint said code=SECRETCODE');
      return which === 'start'
        ? { status: 302, headers: { Location: 'https://as.example/authorize', 'Set-Cookie': 'mcproxy_flow=abc; HttpOnly' }, body: '' }
        : { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: '<p>You can close this window.</p>' };
    };
  return { seen, start: answer('start'), callback: answer('callback') };
}

async function face(p: OAuthPages, log?: Logger): Promise<HttpServer> {
  const proxy = createProxy({ upstreams: [] });
  t.add(() => proxy.close());
  const auth = withOAuthPaths(createAuthenticator({ apiKeys: [{ id: 'ci', key: 'k'.repeat(24) }] }));
  const routes = oauthRoutes(p, { host: '127.0.0.1', dnsRebindingProtection: true }, log ?? recordingLogger(), 1 << 20);
  const http = await serveStreamableHttp(proxy, { auth, mounts: [routes] });
  t.add(() => http.close());
  return http;
}

/** A request with headers of our choosing (Host too), answering status, headers and body. */
function get(url: string, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request(new URL(path, url), { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the OAuth routes on the HTTP face', () => {
  it('answers /oauth/start and /oauth/callback without a principal, with the query and cookie, and headers that keep the code to itself', async () => {
    const p = pages();
    const http = await face(p);
    const start = await get(http.url, '/oauth/start?flow=f1');
    expect(start.status).toBe(302);
    expect(start.headers.location).toBe('https://as.example/authorize');
    expect(start.headers['set-cookie']).toEqual(['mcproxy_flow=abc; HttpOnly']);
    const back = await get(http.url, '/oauth/callback?code=c&state=s', { cookie: 'mcproxy_flow=abc' });
    expect(back.status).toBe(200);
    expect(back.body).toContain('close this window');
    expect(back.headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' });
    expect(p.seen).toEqual([
      ['start', 'flow=f1', undefined],
      ['callback', 'code=c&state=s', 'mcproxy_flow=abc'],
    ]);
    // Everything else on the face still asks for credentials.
    expect((await get(http.url, '/mcp')).status).toBe(401);
    expect((await get(http.url, '/oauth/other')).status).toBe(401);
  });

  it('passes the same Host/Origin guard as the MCP endpoint, and takes GET and HEAD only', async () => {
    const p = pages();
    const http = await face(p);
    const port = new URL(http.url).port;
    expect((await get(http.url, '/oauth/start?flow=f1', { host: `attacker.example:${port}` })).status).toBe(403);
    expect((await get(http.url, '/oauth/callback?code=c', { origin: 'https://attacker.example' })).status).toBe(403);
    const post = await get(http.url, '/oauth/callback', {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(p.seen).toEqual([]);
  });

  it('answers 500 with a plain sentence when a page fails, logging neither the query nor what the failure held in its answer', async () => {
    const log = recordingLogger();
    const http = await face(pages(true), log);
    const res = await get(http.url, '/oauth/callback?code=SECRETCODE&state=s');
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('SECRETCODE');
    expect(logText(log.lines)).toContain('oauth: a page failed');
    expect(logText(log.lines)).not.toContain('SECRETCODE');
  });
});
