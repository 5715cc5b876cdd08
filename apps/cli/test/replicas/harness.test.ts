// The replica harness itself, before any store: HAProxy balances request by
// request, and replicas without a store lose a session (the failure the
// store removes), so the tests in replicas.test.ts cannot pass vacuously.
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COUNTING_CLI, initialize, post, startHaproxy } from '@mcproxy/testing';
import { describe, expect, it } from 'vitest';
import { startCluster } from './cluster.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('the harness', () => {
  it('HAProxy balances one keep-alive client request by request over every backend', async () => {
    const servers: Server[] = [];
    const backends = [];
    for (const name of ['a', 'b', 'c']) {
      const server = createServer((req, res) => res.end(req.url === '/readyz' ? 'ready' : name));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      const { port } = server.address() as AddressInfo;
      backends.push({ name, port, adminPort: port });
    }
    const lb = await startHaproxy({ backends });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const until = Date.now() + 5000;
      while (Object.values(await lb.backends()).some((b) => !b.status.startsWith('UP')) && Date.now() < until) await sleep(50);
      const answers: Array<{ name: string; reused: boolean }> = [];
      for (const _ of range(6)) {
        answers.push(
          await new Promise((resolve, reject) => {
            const req = request(`${lb.url}/`, { agent }, (res) => {
              let body = '';
              res.on('data', (c: Buffer) => {
                body += c.toString();
              });
              res.on('end', () => resolve({ name: body, reused: req.reusedSocket }));
            });
            req.on('error', reject);
            req.end();
          }),
        );
      }
      // One connection, and yet every request goes to the next backend.
      expect(answers.slice(1).every((a) => a.reused)).toBe(true);
      expect(new Set(answers.map((a) => a.name))).toEqual(new Set(['a', 'b', 'c']));
      for (const [i, a] of answers.slice(1).entries()) expect(a.name).not.toBe(answers[i]!.name);
    } finally {
      agent.destroy();
      await lb.stop();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });

  it('without a store, replicas behind HAProxy lose a session on its second request (what the store is for)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcproxy-replicas-control-'));
    const counts = join(dir, 'counts.jsonl');
    const cluster = await startCluster({
      store: false,
      upstreams: { local: { command: process.execPath, args: [COUNTING_CLI, '--file', counts], mode: 'per-session' } },
    });
    try {
      const init = await post(cluster.url, initialize(1));
      expect(init.status).toBe(200);
      const headers = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
      const statuses: number[] = [];
      for (const i of range(3)) statuses.push((await post(cluster.url, { jsonrpc: '2.0', id: 2 + i, method: 'tools/list' }, headers)).status);
      // Round robin: of three requests after the initialize, two land on replicas that never saw the session.
      expect(statuses.filter((s) => s === 404).length).toBe(2);
      const spread = await cluster.haproxy.backends();
      expect(Object.values(spread).every((b) => b.responses > 0)).toBe(true);
    } finally {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
