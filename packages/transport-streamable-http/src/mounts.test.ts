import { afterEach, describe, expect, it } from 'vitest';
import { initialize, post, Teardown } from '@mcproxy/testing';
import { serveProxy } from '../test/setup.js';
import type { MountedHandler } from './index.js';

const t = new Teardown();
afterEach(() => t.run());

describe('other endpoints on the same port', () => {
  it('offers each request to the mounts first, serves MCP on its path, and closes the mounts with the server', async () => {
    let closed = 0;
    const hello: MountedHandler = {
      handle(req, res) {
        if (!req.url?.startsWith('/hello')) return false;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('hi');
        return true;
      },
      async close() {
        closed++;
      },
    };
    const { http } = await serveProxy(t, { http: { mounts: [hello] } });
    const res = await fetch(new URL('/hello', http.url));
    expect(await res.text()).toBe('hi');
    expect((await post(http.url, initialize())).status).toBe(200);
    await http.close();
    expect(closed).toBe(1);
  });
});
