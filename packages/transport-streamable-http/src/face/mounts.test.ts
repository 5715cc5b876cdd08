import { afterEach, describe, expect, it } from 'vitest';
import { initialize, post, Teardown } from '@mcproxy/testing';
import { serveProxy } from '../../test/setup.js';
import { createProxy, type Channel } from '@mcproxy/core';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createUpstreamServer } from '../../test/upstream-server.js';
import { createStreamableHttpHandler, type MountedHandler } from '../index.js';

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

describe('several MCP endpoints on one port', () => {
  it('serves a second proxy on its own path, with sessions of its own, until it is unmounted', async () => {
    const { http, proxy } = await serveProxy(t);
    const other = createProxy({
      upstreams: [
        {
          name: 'other',
          mode: 'per-session',
          connect: async () => {
            const [near, far] = InMemoryTransport.createLinkedPair();
            await createUpstreamServer().connect(far);
            return near as unknown as Channel;
          },
        },
      ],
    });
    t.add(() => other.close());
    const endpoint = createStreamableHttpHandler(other, { path: '/other' });
    http.mount(endpoint);
    const otherUrl = new URL('/other', http.url).href;
    expect((await post(otherUrl, initialize())).status).toBe(200);
    expect((await post(http.url, initialize())).status).toBe(200);
    expect(other.sessions.size).toBe(1);
    expect(proxy.sessions.size).toBe(1);

    http.unmount(endpoint);
    await endpoint.close();
    expect(other.sessions.size).toBe(0);
    const gone = await post(otherUrl, initialize());
    expect(gone.status).toBe(404);
    expect(proxy.sessions.size).toBe(1);
  });
});
