import { request } from 'node:http';
import { silentLogger } from '@mcproxy/core';
import { afterEach, describe, expect, it } from 'vitest';
import { serveAdmin, type AdminServer } from './admin.js';
import { Feed } from './feed.js';
import type { Metrics } from './metrics.js';
import type { UpstreamBoard } from './upstreams.js';

let admin: AdminServer | undefined;
afterEach(async () => {
  await admin?.close();
  admin = undefined;
});

/** A GET with a Host header of our choosing (fetch does not let a page set it). */
const get = (url: string, path: string, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });

describe('the admin listener on loopback', () => {
  it('answers loopback names only, so a rebound web page cannot read it', async () => {
    const board = { list: async () => [], notReady: () => undefined } as unknown as UpstreamBoard;
    admin = await serveAdmin({
      host: '127.0.0.1',
      port: 0,
      metrics: {} as Metrics,
      board,
      feed: new Feed(),
      serving: () => undefined,
      about: {},
      log: silentLogger,
    });
    const port = new URL(admin.url).port;
    expect(await get(admin.url, '/healthz', `127.0.0.1:${port}`)).toBe(200);
    expect(await get(admin.url, '/readyz', `localhost:${port}`)).toBe(200);
    expect(await get(admin.url, '/healthz', `attacker.example:${port}`)).toBe(403);
  });

  it('serves an icon at /favicon.ico (browsers ask for it), not a 404', async () => {
    const board = { list: async () => [], notReady: () => undefined } as unknown as UpstreamBoard;
    admin = await serveAdmin({
      host: '127.0.0.1',
      port: 0,
      metrics: {} as Metrics,
      board,
      feed: new Feed(),
      serving: () => undefined,
      about: {},
      log: silentLogger,
    });
    const res = await fetch(`${admin.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toMatch(/^<svg /);
  });
});
