// Issue 22's tests with real processes: Redis, three mcproxy replicas sharing
// it, HAProxy round robin without stickiness in front, and upstreams that
// write down every execution (a stdio child per session, an HTTP server in
// this process) in one count file. Each test prints one `[replicas]` line with
// the figures the closing note quotes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COUNTING_CLI,
  type CountLine,
  initialize,
  isAlive,
  modernHeaders,
  modernMessage,
  openSse,
  post,
  postModern,
  readCounts,
  type SseStream,
  startCountingHttpServer,
} from '@mcproxy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketQuantile, type Cluster, startCluster } from './cluster.js';
import { Calls, announceOn, duplicates, executions, loop, modernCall, odd, openSession, percentile, readAnnounced, type TestSession } from './sessions.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const LIMIT = 10;

describe('three replicas on one Redis behind HAProxy (round robin, no stickiness)', () => {
  let dir: string;
  let counts: string;
  let remote: Awaited<ReturnType<typeof startCountingHttpServer>>;
  let cluster: Cluster;
  const lines = (): CountLine[] => readCounts(counts);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcproxy-replicas-'));
    counts = join(dir, 'counts.jsonl');
    remote = await startCountingHttpServer({ file: counts });
    cluster = await startCluster({
      upstreams: {
        local: { command: process.execPath, args: [COUNTING_CLI, '--file', counts], mode: 'per-session' },
        remote: { url: remote.url },
      },
      pipeline: [{ use: 'rate-limit', with: { tools: [{ match: 'local__limited', rate: LIMIT, per: 'minute', across: 'all' }] } }],
    });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    await remote?.close();
    // Every stdio child any replica started is gone with its replica.
    const children = counts === undefined ? [] : lines().flatMap((l) => (l.kind === 'start' ? [l.pid] : []));
    const deadline = Date.now() + 5000;
    while (children.some(isAlive) && Date.now() < deadline) await sleep(50);
    const orphans = children.filter(isAlive);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    if (orphans.length > 0) throw new Error(`stdio children outlived their replicas: ${orphans.join(', ')}`);
  }, 60_000);

  it('20 sessions × 50 calls: no failure, no "session not found", one upstream session (one child) per session, every replica used', async () => {
    const calls = new Calls();
    const mark = lines().length;
    const lbBefore = await cluster.haproxy.backends();
    const forwardsBefore = await Promise.all(cluster.replicas.map((r) => r.metric('mcproxy_replica_forwards_total')));
    const storeOpsBefore = await Promise.all(cluster.replicas.map((r) => r.metric('mcproxy_store_operations_total')));
    const forwardSecondsBefore = await Promise.all(cluster.replicas.map((r) => r.buckets('mcproxy_replica_forward_seconds')));
    const started = Date.now();
    const sessions = await Promise.all(range(20).map((i) => openSession(cluster.url, i, { calls })));
    await Promise.all(
      sessions.map(async (s) => {
        for (const j of range(50)) await s.call(j % 2 === 0 ? 'local__count' : 'remote__count', `load-${s.index}-${j}`);
      }),
    );
    const elapsed = Date.now() - started;
    const lbAfter = await cluster.haproxy.backends();
    const forwards = (await Promise.all(cluster.replicas.map((r) => r.metric('mcproxy_replica_forwards_total')))).map((v, i) => v - forwardsBefore[i]!);
    const storeOps = (await Promise.all(cluster.replicas.map((r) => r.metric('mcproxy_store_operations_total')))).reduce(
      (sum, v, i) => sum + v - storeOpsBefore[i]!,
      0,
    );
    const forwardSeconds = await Promise.all(cluster.replicas.map((r) => r.buckets('mcproxy_replica_forward_seconds')));
    const after = lines().slice(mark);
    const seen = executions(after, 'load-');
    const vias = (s: TestSession, upstream: string) =>
      new Set(after.flatMap((l) => (l.kind === 'count' && l.upstream === upstream && l.n.startsWith(`load-${s.index}-`) ? [l.via] : [])));
    const childPids = new Set(sessions.flatMap((s) => [...vias(s, 'local')]));
    const starts = after.filter((l) => l.kind === 'start').length;
    const served = cluster.replicas.map((r) => (lbAfter[r.id]?.responses ?? 0) - (lbBefore[r.id]?.responses ?? 0));
    const kept = sessions.filter((s) => s.transport.sessionId === s.id).length;
    await Promise.all(sessions.map((s) => s.close()));
    console.log(
      `[replicas] 20x50: calls=${calls.records.length} failed=${calls.failed.length} sessionNotFound=${calls.notFound} hung=${calls.hung} duplicates=${duplicates(seen).length} children=${childPids.size} (starts ${starts}) remoteSessions=${new Set(sessions.flatMap((s) => [...vias(s, 'remote')])).size} sessionsKept=${kept}/20 p99=${calls.p99()}ms elapsed=${elapsed}ms responses/replica=${served.join('/')} forwards/replica=${forwards.join('/')} forwardP99<=${bucketQuantile(forwardSecondsBefore, forwardSeconds, 0.99)}s storeOps/call=${(storeOps / calls.records.length).toFixed(2)} (sessions opened included)`,
    );
    expect(calls.failed.length, calls.sample()).toBe(0);
    expect(calls.notFound).toBe(0);
    expect(seen.size).toBe(1000);
    expect(duplicates(seen)).toEqual([]);
    expect(kept).toBe(sessions.length);
    for (const s of sessions) {
      expect(vias(s, 'local').size, `session ${s.index}: stdio children`).toBe(1);
      expect(vias(s, 'remote').size, `session ${s.index}: HTTP upstream sessions`).toBe(1);
    }
    expect(childPids.size).toBe(20);
    for (const [i, n] of served.entries()) expect(n, `responses of r${i + 1}`).toBeGreaterThan(100);
    for (const [i, n] of forwards.entries()) expect(n, `forwards of r${i + 1}`).toBeGreaterThan(0);
  }, 120_000);

  it('an elicitation pushed on one replica and answered through another is delivered once; a replayed answer changes nothing', async () => {
    const calls = new Calls();
    const [r1, r2, r3] = [cluster.replica(1), cluster.replica(2), cluster.replica(3)];
    // The call (and so the elicitation it pushes) on r1, the client's answer POSTed to r2.
    const session = await openSession(cluster.url, 100, {
      calls,
      answer: (q) => `answer to ${q}`,
      route: (kind) => (kind === 'initialize' || kind === 'request' ? r1.url : kind === 'response' ? r2.url : undefined),
    });
    const mark = lines().length;
    const local = await session.call('local__ask', 'e1', { question: 'q-local' });
    const remoteAsk = await session.call('remote__ask', 'e2', { question: 'q-remote' });
    // Everything through the load balancer: the push and the answer land where round robin puts them.
    const free = await openSession(cluster.url, 101, { calls, answer: (q) => `answer to ${q}` });
    const balanced = await free.call('local__ask', 'e3', { question: 'q-balanced' });
    const asks = () =>
      lines()
        .slice(mark)
        .filter((l) => l.kind === 'ask');
    const before = asks().length;
    // The same answer again, and one with an id nobody asked, through r3.
    const headers = { 'mcp-session-id': session.id, 'mcp-protocol-version': '2025-11-25' };
    const replay = await post(r3.url, JSON.parse(session.answers[0] ?? '{}'), headers);
    const forged = { ...(JSON.parse(session.answers[0] ?? '{}') as Record<string, unknown>), id: 987654 };
    const forgery = await post(r3.url, forged, headers);
    await sleep(300);
    await session.close();
    await free.close();
    console.log(
      `[replicas] elicitation: rounds=3 ok=${[local, remoteAsk, balanced].filter((c) => c.ok).length} asked=${session.asked.length + free.asked.length} executions=${before} afterReplay=${asks().length} replayStatus=${replay.status} forgedStatus=${forgery.status}`,
    );
    expect(local.text).toBe('answered accept {"answer":"answer to q-local"}');
    expect(remoteAsk.text).toBe('answered accept {"answer":"answer to q-remote"}');
    expect(balanced.text).toBe('answered accept {"answer":"answer to q-balanced"}');
    expect(session.asked).toEqual(['q-local', 'q-remote']);
    expect(free.asked).toEqual(['q-balanced']);
    expect(asks().map((l) => (l.kind === 'ask' ? l.answer : ''))).toEqual([
      'accept {"answer":"answer to q-local"}',
      'accept {"answer":"answer to q-remote"}',
      'accept {"answer":"answer to q-balanced"}',
    ]);
  }, 60_000);

  it('a 2026-07-28 input_required round whose retry lands on another replica completes', async () => {
    const [r1, r2] = [cluster.replica(1), cluster.replica(2)];
    const round = async (first: string, retry: string, answer: string): Promise<{ text: unknown; ms: number }> => {
      const start = Date.now();
      const asked = await modernCall(first, 'local__ask', { question: 'modern?' });
      expect(asked.result?.resultType, JSON.stringify(asked)).toBe('input_required');
      const [key] = Object.keys((asked.result?.inputRequests ?? {}) as Record<string, unknown>);
      const done = await modernCall(
        retry,
        'local__ask',
        { question: 'modern?' },
        { requestState: asked.result?.requestState, inputResponses: { [key!]: { action: 'accept', content: { answer } } } },
      );
      return { text: done.error ?? done.result?.content, ms: Date.now() - start };
    };
    const mark = lines().length;
    // The control: both requests on r1, as one process would serve them.
    const same = await round(r1.url, r1.url, 'forty-one');
    const direct = await round(r1.url, r2.url, 'forty-two');
    const balanced = await round(cluster.url, cluster.url, 'forty-three');
    const asks = lines()
      .slice(mark)
      .filter((l) => l.kind === 'ask');
    console.log(
      `[replicas] input_required: r1->r1 ${same.ms}ms ${JSON.stringify(same.text)}; r1->r2 ${direct.ms}ms ${JSON.stringify(direct.text)}; via HAProxy ${balanced.ms}ms ${JSON.stringify(balanced.text)}; executions=${asks.length}`,
    );
    expect(same.text).toEqual([{ type: 'text', text: 'answered accept {"answer":"forty-one"}' }]);
    expect(direct.text).toEqual([{ type: 'text', text: 'answered accept {"answer":"forty-two"}' }]);
    expect(balanced.text).toEqual([{ type: 'text', text: 'answered accept {"answer":"forty-three"}' }]);
    expect(asks.length).toBe(3);
  }, 60_000);

  it(`a rate limit of ${LIMIT} per minute across the three replicas admits ${LIMIT}`, async () => {
    const calls = new Calls();
    const started = Date.now();
    // Each session opened on, and sending every call to, a replica of its own.
    const sessions = await Promise.all(
      cluster.replicas.map((r, i) => openSession(cluster.url, 200 + i, { calls, route: (kind) => (kind === 'get' || kind === 'delete' ? undefined : r.url) })),
    );
    await Promise.all(sessions.flatMap((s) => range(LIMIT).map((j) => s.call('local__limited', `limit-${s.index}-${j}`))));
    const elapsed = Date.now() - started;
    const admitted = calls.records.filter((r) => r.ok).length;
    const refused = calls.records.filter((r) => /-32018/.test(r.error ?? '')).length;
    const executed = executions(lines(), 'limit-').size;
    await Promise.all(sessions.map((s) => s.close()));
    // A bucket refills at LIMIT a minute: a slow run may see one more token.
    const refill = Math.floor((elapsed * LIMIT) / 60_000);
    console.log(
      `[replicas] rate limit: tried=${calls.records.length} admitted=${admitted} refused=${refused} executed=${executed} limit=${LIMIT}/min elapsed=${elapsed}ms`,
    );
    expect(admitted).toBeGreaterThanOrEqual(LIMIT);
    expect(admitted).toBeLessThanOrEqual(LIMIT + refill);
    expect(refused).toBe(calls.records.length - admitted);
    expect(executed).toBe(admitted);
  }, 60_000);

  it('rolling restart (SIGTERM each replica in turn under load): no failed call, every session keeps its id', async () => {
    const calls = new Calls();
    const mark = lines().length;
    const takeoversBefore = await Promise.all(cluster.replicas.map((r) => r.metric('mcproxy_replica_takeovers_total')));
    const sessions = await Promise.all(range(9).map((i) => openSession(cluster.url, 300 + i, { calls })));
    const load = loop(sessions, (s, j) => ({ tool: j % 2 === 0 ? 'local__count' : 'remote__count', n: `roll-${s.index}-${j}`, args: { ms: 10 } }));
    const steps: string[] = [];
    const t0 = Date.now();
    try {
      await sleep(500);
      for (const replica of cluster.replicas) {
        const t = Date.now();
        steps.push(`${replica.id} SIGTERM at ${t - t0}ms`);
        const exit = await replica.sigterm();
        const drained = Date.now() - t;
        await replica.restart();
        await cluster.allUp(15_000);
        steps.push(`${replica.id}: exit ${exit.code ?? exit.signal} after ${drained}ms, back after ${Date.now() - t}ms`);
        expect(exit.code, `${replica.id} exit`).toBe(0);
      }
      await sleep(500);
    } finally {
      await load.stop();
    }
    const seen = executions(lines().slice(mark), 'roll-');
    const ok = calls.records.filter((r) => r.ok);
    const missing = ok.filter((r) => seen.get(r.n) !== 1).map((r) => r.n);
    const takeovers = await Promise.all(cluster.replicas.map((r) => r.metric('mcproxy_replica_takeovers_total')));
    const kept = sessions.filter((s) => s.transport.sessionId === s.id).length;
    await Promise.all(sessions.map((s) => s.close()));
    console.log(
      `[replicas] rolling restart: calls=${calls.records.length} failed=${calls.failed.length} sessionNotFound=${calls.notFound} duplicates=${duplicates(seen).length} sessionsKept=${kept}/${sessions.length} takeovers=${takeovers.reduce((a, b) => a + b, 0) - takeoversBefore.reduce((a, b) => a + b, 0)} p99=${calls.p99()}ms; ${steps.join('; ')}`,
    );
    if (calls.failed.length > 0) {
      const ran = calls.failed.map((r) => `${r.n} executed ${seen.get(r.n) ?? 0}x at ${r.start - t0}ms: ${r.error}`);
      console.log(`[replicas] rolling restart failures:\n${ran.join('\n')}`);
    }
    if (odd.length > 0) console.log(`[replicas] rolling restart: answers no client expects:\n${odd.splice(0).join('\n')}`);
    expect(calls.failed.length, calls.sample()).toBe(0);
    expect(kept).toBe(sessions.length);
    expect(duplicates(seen)).toEqual([]);
    expect(missing).toEqual([]);
  }, 120_000);

  it('SIGKILL of one replica under load: definite answers, no duplicate execution, sessions continue, a GET stream resumes elsewhere without gaps or duplicates', async () => {
    const calls = new Calls();
    const victim = cluster.replica(2);
    const mark = lines().length;
    // Four sessions opened on each replica, then everything through the load balancer.
    const sessions = await Promise.all(
      range(12).map((i) =>
        openSession(cluster.url, 400 + i, { calls, route: (kind) => (kind === 'initialize' ? cluster.replica((i % 3) + 1).url : undefined) }),
      ),
    );
    const owned = sessions.filter((_, i) => i % 3 === 1);

    // A raw session on the victim, its standalone stream read through the load balancer.
    const init = await post(victim.url, initialize(1));
    const headers = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    await post(cluster.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    const received: number[] = [];
    const read = (stream: SseStream, upTo: number) => readAnnounced(stream, received, upTo);
    const announce = (from: number, id: number) => announceOn(cluster.url, headers, from, id);
    const first = await openSse(cluster.url, { headers: { ...headers, accept: 'text/event-stream' } });
    expect(first.status).toBe(200);
    await announce(1, 2);
    const lastSeen = await read(first, 10);
    // The client saw 1..10 and lost its connection; 11..20 were sent, and must come again.
    first.drop();

    const load = loop(sessions, (s, j) => ({ tool: j % 2 === 0 ? 'local__count' : 'remote__count', n: `kill-${s.index}-${j}`, args: { ms: 30 } }));
    let killedAt = 0;
    try {
      await sleep(1000);
      killedAt = Date.now();
      await victim.sigkill();
      await sleep(4000);
    } finally {
      await load.stop();
    }
    // The stream, resumed through the load balancer: the victim is gone, another replica takes the session.
    const resumedAt = Date.now();
    const second = await openSse(cluster.url, { headers: { ...headers, accept: 'text/event-stream', 'last-event-id': lastSeen } });
    const resumeStatus = second.status;
    await read(second, 20).catch((err: unknown) => console.log(`[replicas] resume: ${String(err)}`));
    const replayMs = Date.now() - resumedAt;
    await announce(21, 3).catch((err: unknown) => console.log(`[replicas] resume: ${String(err)}`));
    await read(second, 40).catch((err: unknown) => console.log(`[replicas] resume: ${String(err)}`));
    second.drop();

    // Each session goes on: a new call (retried as a new call, at most three times) on the same id.
    const continued = await Promise.all(
      sessions.map(async (s) => {
        for (const k of range(3)) {
          const r = await s.call('local__count', `kill-after-${s.index}-${k}`);
          if (r.ok) return s.transport.sessionId === s.id;
          await sleep(500);
        }
        return false;
      }),
    );
    const seen = executions(lines().slice(mark), 'kill-');
    const inFlight = calls.records.filter((r) => r.start < killedAt && r.end >= killedAt);
    const detect = owned.map((s) => {
      const firstOk = calls.records.filter((r) => r.session === s.index && r.ok && r.start >= killedAt).sort((a, b) => a.end - b.end)[0];
      return firstOk === undefined ? Number.NaN : firstOk.end - killedAt;
    });
    const gaps = range(40)
      .map((i) => i + 1)
      .filter((seq) => !received.includes(seq));
    const dups = received.filter((seq, i) => received.indexOf(seq) !== i);
    const takeovers = await Promise.all(cluster.replicas.filter((r) => r.alive()).map((r) => r.metric('mcproxy_replica_takeovers_total')));
    await Promise.all(sessions.map((s) => s.close()));
    await victim.restart();
    await cluster.allUp(15_000);
    console.log(
      `[replicas] SIGKILL: calls=${calls.records.length} failed=${calls.failed.length} hung=${calls.hung} inFlightAtKill=${inFlight.length} (ok ${inFlight.filter((r) => r.ok).length}, error ${inFlight.filter((r) => !r.ok).length}) duplicates=${duplicates(seen).length} sessionsContinued=${continued.filter(Boolean).length}/${sessions.length} detectDeadOwner max=${Math.max(...detect)}ms median=${percentile(detect, 0.5)}ms takeovers=${takeovers.reduce((a, b) => a + b, 0)} p99=${calls.p99()}ms stream: resume=${resumeStatus} replay=${replayMs}ms received=${received.length} gaps=${gaps.length} duplicates=${dups.length}`,
    );
    if (calls.failed.length > 0) {
      const described = calls.failed.map(
        (r) =>
          `${r.tool} ${r.n} (session ${r.session}${owned.some((s) => s.index === r.session) ? ', owned by the victim' : ''}) from ${r.start - killedAt}ms to ${r.end - killedAt}ms after the kill, executed ${seen.get(r.n) ?? 0}x: ${r.error}`,
      );
      console.log(`[replicas] SIGKILL failures:\n${described.join('\n')}`);
    }
    expect(calls.hung).toBe(0);
    expect(duplicates(seen)).toEqual([]);
    expect(continued.filter(Boolean).length / sessions.length).toBeGreaterThanOrEqual(0.99);
    expect(resumeStatus).toBe(200);
    expect(gaps).toEqual([]);
    expect(dups).toEqual([]);
  }, 120_000);

  it('a list change heard on one replica reaches a 2026-07-28 listen held open on another, once, and only the lists it asked for', async () => {
    const params = { notifications: { toolsListChanged: true } };
    const listen = await openSse(cluster.replica(2).url, {
      method: 'POST',
      headers: modernHeaders('subscriptions/listen', params),
      body: JSON.stringify(modernMessage('subscriptions/listen', params, { id: 77 })),
    });
    expect(listen.status).toBe(200);
    await listen.message((m) => m.method === 'notifications/subscriptions/acknowledged');
    const promptsOnly = { notifications: { promptsListChanged: true } };
    const other = await openSse(cluster.replica(2).url, {
      method: 'POST',
      headers: modernHeaders('subscriptions/listen', promptsOnly),
      body: JSON.stringify(modernMessage('subscriptions/listen', promptsOnly, { id: 78 })),
    });
    // Acknowledged (narrowed to what the upstreams can say), or ended when none of them can: either way it must hear nothing below.
    await other.message((m) => m.method === 'notifications/subscriptions/acknowledged').catch(() => undefined);
    // A 2025-era session on r1 makes r1's own child change its tools.
    const init = await post(cluster.replica(1).url, initialize(1));
    const headers = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
    await post(cluster.replica(1).url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    const started = Date.now();
    const changed = await post(
      cluster.replica(1).url,
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'local__change_tools', arguments: {} } },
      headers,
    );
    expect(changed.text).toContain('added added_1');
    const heard = await listen.message((m) => m.method === 'notifications/tools/list_changed');
    const ms = Date.now() - started;
    expect(heard).toMatchObject({ method: 'notifications/tools/list_changed' });
    // The same change is not told twice (a shared link's notification walks the chain once per session: one message goes out).
    const again = await Promise.race([
      listen.message((m) => m.method === 'notifications/tools/list_changed').then(() => 'again'),
      sleep(800).then(() => 'quiet'),
    ]);
    listen.drop();
    expect(again).toBe('quiet');
    // A listen for prompts only hears nothing of a tools change.
    const wrong = await Promise.race([
      other
        .message((m) => String(m.method).endsWith('list_changed'))
        .then(
          () => 'heard',
          () => 'quiet',
        ),
      sleep(300).then(() => 'quiet'),
    ]);
    other.drop();
    expect(wrong).toBe('quiet');
    // And r2 serves the new tool list to a modern client: the change was real on r1, and r2's lists are asked of its own links.
    const listed = await postModern(cluster.replica(2).url, 'tools/list');
    expect(listed.status).toBe(200);
    console.log(`[replicas] list news: r1 change heard on an r2 listen after ${ms} ms; told once`);
  });

  it('Redis killed and restarted under load: 2026-07-28 calls all succeed throughout; 2025-era sessions recover', async () => {
    const calls = new Calls();
    const r1 = cluster.replica(1);
    const sessions = await Promise.all(
      range(6).map((i) =>
        openSession(cluster.url, 500 + i, { calls, route: (kind) => (kind === 'initialize' ? cluster.replica((i % 3) + 1).url : undefined) }),
      ),
    );
    let stopping = false;
    // Plain 2026-07-28 calls in a loop: through the load balancer, and straight to r1 (what the replica itself does).
    const modernLoop = (url: string, tag: string, into: Array<{ ok: boolean; ms: number; at: number; error?: string }>) =>
      (async () => {
        for (let j = 0; !stopping; j++) {
          const start = Date.now();
          const answer = await modernCall(url, 'remote__count', { n: `modern-${tag}-${j}` }).catch((err: unknown) => ({
            status: 0,
            error: { code: 0, message: String(err) },
            result: undefined,
          }));
          const ok = answer.status === 200 && answer.result !== undefined && answer.error === undefined;
          into.push({ ok, ms: Date.now() - start, at: start, ...(ok ? {} : { error: `${answer.status} ${JSON.stringify(answer.error)}` }) });
          if (!ok) await sleep(20);
        }
      })();
    const balanced: Array<{ ok: boolean; ms: number; at: number; error?: string }> = [];
    const direct: typeof balanced = [];
    const modernLoops = [modernLoop(cluster.url, 'lb', balanced), modernLoop(r1.url, 'r1', direct)];
    const load = loop(sessions, (s, j) => ({ tool: j % 2 === 0 ? 'local__count' : 'remote__count', n: `redis-${s.index}-${j}`, args: { ms: 10 } }));
    let downAt = 0;
    let upAt = 0;
    const refusals: string[] = [];
    const recovered = new Map<number, number>();
    let fresh = false;
    const freshErrors: string[] = [];
    try {
      await sleep(1000);
      downAt = Date.now();
      cluster.redis.kill();
      await sleep(1000);
      // A new 2025-era session while the store is down, straight to r1 and through the load balancer: a clear refusal, soon.
      for (const url of [r1.url, cluster.url]) {
        const t = Date.now();
        const opened = await post(url, initialize(1));
        refusals.push(`${url === r1.url ? 'r1' : 'HAProxy'} ${Date.now() - t}ms: ${opened.status} ${opened.text.replace(/\s+/g, ' ').slice(0, 200)}`);
      }
      await sleep(1500);
      await cluster.redis.restart();
      upAt = Date.now();
      const deadline = upAt + 15_000;
      while (Date.now() < deadline && recovered.size < sessions.length) {
        for (const r of calls.records) if (r.ok && r.start >= upAt && !recovered.has(r.session)) recovered.set(r.session, r.end - upAt);
        await sleep(100);
      }
      // A new session, once recovered (each try a new call: retried as a new call only).
      for (const k of range(5)) {
        const after = await openSession(cluster.url, 599, { calls: new Calls() }).catch((err: unknown) => String(err));
        const call = typeof after === 'string' ? undefined : await after.call('local__count', `redis-fresh-${k}`);
        if (typeof after !== 'string') await after.close();
        fresh = call?.ok === true;
        if (fresh) break;
        freshErrors.push(typeof after === 'string' ? `open: ${after}` : `call: ${call?.error}`);
        await sleep(300);
      }
    } finally {
      stopping = true;
      await load.stop();
      await Promise.all(modernLoops);
    }
    const outage = calls.records.filter((r) => r.start >= downAt && r.start < upAt);
    await Promise.all(sessions.map((s) => s.close()));
    const figures = (list: typeof balanced) =>
      `${list.length} failed=${list.filter((m) => !m.ok).length} (during outage ${list.filter((m) => m.at >= downAt && m.at < upAt && !m.ok).length}/${list.filter((m) => m.at >= downAt && m.at < upAt).length}) p99=${percentile(
        list.map((m) => m.ms),
        0.99,
      )}ms median=${percentile(
        list.map((m) => m.ms),
        0.5,
      )}ms`;
    console.log(
      `[replicas] Redis outage: modern calls via HAProxy=${figures(balanced)}, straight to r1=${figures(direct)}; 2025 calls=${calls.records.length} during outage=${outage.length} (failed ${outage.filter((r) => !r.ok).length}); after restart: sessions recovered=${recovered.size}/${sessions.length} in max ${Math.max(0, ...recovered.values())}ms, new session ok=${fresh} (after ${freshErrors.length} failed tries${freshErrors.length > 0 ? `: ${freshErrors.join(' | ')}` : ''}); a new session while down: ${refusals.join(' | ')}`,
    );
    const failures = (list: typeof balanced) =>
      list
        .filter((m) => !m.ok)
        .slice(0, 3)
        .map((m) => m.error)
        .join('\n');
    expect(direct.filter((m) => !m.ok).length, failures(direct)).toBe(0);
    expect(balanced.filter((m) => !m.ok).length, failures(balanced)).toBe(0);
    expect(balanced.filter((m) => m.at >= downAt && m.at < upAt).length).toBeGreaterThan(0);
    for (const refusal of refusals) expect(refusal).toMatch(/: 503 .*store/);
    expect(recovered.size).toBe(sessions.length);
    expect(fresh).toBe(true);
  }, 120_000);
});
