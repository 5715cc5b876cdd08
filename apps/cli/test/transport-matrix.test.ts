// Issue 4's transport matrix: one client over each transport mcproxy serves
// (stdio, legacy SSE, streamable HTTP) against the conformance fixture over
// each transport it connects to (stdio, legacy SSE, streamable HTTP). Nine
// pairs, each a real `mcproxy --config` process, each checked for what the
// translation between two transports must not lose: progress, logging,
// resources, prompts, sampling and elicitation asked by the upstream and
// answered by the client, and cancellation (which must reach the upstream).
//
// Each upstream records what reached it (stdio: stdio-tap.mjs between mcproxy
// and the fixture bin; HTTP: a tap between the SDK transport and the fixture),
// so cancellation is checked where it matters: at the upstream, by the id the
// upstream knows the call by. Each client records the order messages reached
// its transport, so "progress before the answer" is checked on the wire, not
// through the SDK's Protocol, which reorders (see the progress test).
// Needs the build: pnpm turbo run build --filter=@mcproxy/cli...
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { eventually, isAlive } from '@mcproxy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ELICITED, openPair, stdioEntry, type Kind, type Pair } from './kit/matrix-pair.js';
import { startHttpUpstream, startSseUpstream, type InProcessUpstream } from './kit/matrix-upstreams.js';

const KINDS: Kind[] = ['stdio', 'sse', 'streamable-http'];

let dir: string;
let httpUpstream: InProcessUpstream;
let sseUpstream: InProcessUpstream;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcproxy-matrix-'));
  [httpUpstream, sseUpstream] = await Promise.all([startHttpUpstream(), startSseUpstream()]);
});

afterAll(async () => {
  await Promise.allSettled([httpUpstream?.close(), sseUpstream?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Transport left to auto-detection in one pair per URL upstream: the SSE
 * upstream must be found by falling back, the streamable one at once.
 */
const AUTO: Partial<Record<Kind, Kind>> = { sse: 'streamable-http', 'streamable-http': 'stdio' };

function upstreamEntry(upstream: Kind, client: Kind): Record<string, unknown> {
  if (upstream === 'stdio') return stdioEntry();
  const url = upstream === 'sse' ? sseUpstream.url : httpUpstream.url;
  return AUTO[upstream] === client ? { url } : { url, transport: upstream };
}

/** SSE served beside streamable HTTP on one port, except with the SSE upstream, where it is served alone. */
function serve(upstream: Kind, client: Kind): Record<string, unknown> {
  const http = { host: '127.0.0.1', port: 0, path: '/mcp' };
  if (client === 'stdio') return { stdio: true };
  if (client === 'streamable-http') return { http };
  return upstream === 'sse' ? { sse: { host: '127.0.0.1', port: 0 } } : { http, sse: {} };
}

const text = (result: unknown): string => {
  const content = (result as CallToolResult).content;
  return content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
};

/** Is `m` the answer to a tool call whose first text block is `first`? */
function isAnswer(m: JSONRPCMessage, first: string): m is JSONRPCMessage & { id: string | number; result: CallToolResult } {
  return (
    'result' in m && (m.result as CallToolResult).content?.[0]?.type === 'text' && ((m.result as CallToolResult).content[0] as { text: string }).text === first
  );
}

/** Progress notifications and the answer, in the order they reached the client's transport. */
function progressOnWire(messages: JSONRPCMessage[], first: string): { order: unknown[]; answerId: unknown } {
  let answerId: unknown;
  const order = messages.flatMap((m): unknown[] => {
    if ('method' in m && m.method === 'notifications/progress') return [m.params];
    if (isAnswer(m, first)) {
      answerId = m.id;
      return ['answer'];
    }
    return [];
  });
  return { order, answerId };
}

describe.each(KINDS)('upstream over %s', (upstream) => {
  describe.each(KINDS)('client over %s', (client) => {
    const name = `${upstream}-to-${client}`;
    const auto = AUTO[upstream] === client;
    let pair: Pair;

    beforeAll(async () => {
      const server = upstream === 'sse' ? sseUpstream : upstream === 'streamable-http' ? httpUpstream : undefined;
      pair = await openPair({ upstream, client, entry: upstreamEntry(upstream, client), serve: serve(upstream, client), ...(server ? { server } : {}), dir });
    }, 30_000);

    afterAll(async () => {
      await pair?.dispose();
    });

    it('calls a tool and gets every progress notification, before the answer', async () => {
      const from = pair.wire.length;
      const errorsFrom = pair.clientErrors.length;
      const progress: unknown[] = [];
      const result = await pair.client.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, { onprogress: (p) => progress.push(p) });
      expect(text(result)).toBe('Tool with progress executed successfully');
      const steps = [0, 50, 100].map((n, i) => ({ progress: n, total: 100, message: `step ${i + 1}` }));

      // On the wire: all three, with the client's token, then the answer.
      const { order, answerId } = progressOnWire(pair.wire.slice(from), 'Tool with progress executed successfully');
      expect(order).toEqual([...steps.map((s) => ({ ...s, progressToken: answerId })), 'answer']);

      // In the client: the SDK runs notification handlers a microtask after
      // response handlers, so progress that lands in the same read as the
      // answer is reported as "unknown token" instead of reaching onprogress
      // (modelcontextprotocol/typescript-sdk#2580). What does arrive is in order.
      expect(progress).toEqual(steps.slice(0, progress.length));
      expect(progress.length).toBeGreaterThan(0);
      const lost = steps.length - progress.length;
      expect(pair.clientErrors.slice(errorsFrom).map((e) => e.message)).toEqual(
        steps.slice(steps.length - lost).map(() => expect.stringMatching(/^Received a progress notification for an unknown token/)),
      );
    });

    it('gets the log messages a tool sends while it runs, before the answer', async () => {
      const from = pair.wire.length;
      const before = pair.logMessages.length;
      const result = await pair.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      expect(text(result)).toBe('Tool with logging executed successfully');
      const expected = ['Tool execution started', 'Tool processing data', 'Tool execution completed'].map((data) => ({
        level: 'info',
        logger: 'fixture',
        data,
      }));
      const order = pair.wire.slice(from).flatMap((m): unknown[] => {
        if ('method' in m && m.method === 'notifications/message') return [m.params];
        if (isAnswer(m, 'Tool with logging executed successfully')) return ['answer'];
        return [];
      });
      expect(order).toEqual([...expected, 'answer']);
      await eventually(() => pair.logMessages.length >= before + expected.length, 5_000);
      expect(pair.logMessages.slice(before)).toEqual(expected);
    });

    it('reads resources: text, binary and templated, unchanged', async () => {
      const plain = await pair.client.readResource({ uri: 'test://static-text' });
      expect(plain.contents).toEqual([{ uri: 'test://static-text', mimeType: 'text/plain', text: 'This is the content of the static text resource.' }]);
      const binary = await pair.client.readResource({ uri: 'test://static-binary' });
      expect(binary.contents).toEqual([{ uri: 'test://static-binary', mimeType: 'image/png', blob: expect.stringMatching(/^iVBOR/) }]);
      const templated = await pair.client.readResource({ uri: 'test://template/42/data' });
      expect(JSON.parse(String((templated.contents[0] as { text: string }).text))).toEqual({ id: '42', templateTest: true, data: 'Data for ID: 42' });
    });

    it('gets prompts with their arguments', async () => {
      const prompt = await pair.client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: name, arg2: 'two' } });
      expect(prompt.messages).toEqual([{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${name}', arg2='two'` } }]);
      const image = await pair.client.getPrompt({ name: 'test_prompt_with_image' });
      expect(image.messages.map((m) => m.content.type)).toEqual(['image', 'text']);
    });

    it('relays a sampling request from the upstream to the client and its answer back', async () => {
      const prompt = `sample-${name}`;
      const result = await pair.client.callTool({ name: 'test_sampling', arguments: { prompt } });
      expect(text(result)).toBe(`LLM response: echo: ${prompt}`);
      expect(pair.sampling.requests).toContainEqual(
        expect.objectContaining({
          messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
          maxTokens: 100,
        }),
      );
    });

    it('relays an elicitation request from the upstream to the client and its answer back', async () => {
      const message = `elicit-${name}`;
      const result = await pair.client.callTool({ name: 'test_elicitation', arguments: { message } });
      expect(text(result)).toBe(`User response: action=accept, content=${JSON.stringify(ELICITED)}`);
      expect(pair.elicitations).toContainEqual(
        expect.objectContaining({ message, requestedSchema: expect.objectContaining({ required: ['username', 'email'] }) }),
      );
    });

    it('cancels a tool call at the upstream, and keeps serving', async () => {
      // test_sampling waits on the client's sampling answer: holding it back
      // keeps the call running upstream for as long as we need.
      const prompt = `cancel-${name}`;
      const errorsFrom = pair.clientErrors.length;
      const held = pair.sampling.hold(prompt);
      const controller = new AbortController();
      try {
        const call = pair.client.callTool({ name: 'test_sampling', arguments: { prompt } }, undefined, { signal: controller.signal });
        const settled = call.then(
          (r) => ({ answered: r }),
          (err: unknown) => ({ failed: err }),
        );
        await held.arrived;
        controller.abort(new Error('matrix: the user gave up'));
        expect(await settled).toEqual({ failed: expect.objectContaining({ message: expect.stringContaining('matrix: the user gave up') }) });

        // The upstream heard the cancellation for the very request it was running.
        const reached = () => pair.tap().find((s) => s.calls.some((c) => c.arguments.prompt === prompt));
        await eventually(() => {
          const session = reached();
          const id = session?.calls.find((c) => c.arguments.prompt === prompt)?.id;
          return id !== undefined && session!.cancelled.includes(id);
        }, 10_000);
        const session = reached();
        expect(session, 'the upstream never got the call').toBeDefined();
        const callId = session!.calls.find((c) => c.arguments.prompt === prompt)!.id;
        expect(session!.cancelled).toContain(callId);
      } finally {
        // Let the upstream's tool finish: its late answer must not reach the client.
        held.release();
      }
      const after = `after-${name}`;
      const next = await pair.client.callTool({ name: 'test_sampling', arguments: { prompt: after } });
      expect(text(next)).toBe(`LLM response: echo: ${after}`);
      const simple = await pair.client.callTool({ name: 'test_simple_text', arguments: {} });
      expect(text(simple)).toBe('This is a simple text response for testing.');
      expect(pair.clientErrors.slice(errorsFrom)).toEqual([]);
    });

    // Only the pairs configured without `transport:` have this check (none is skipped).
    if (auto) {
      it('found the upstream transport by itself', () => {
        const found = pair.logs.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('the upstream speaks'));
        expect(found?.transport).toBe(upstream);
      });
    }

    it('stops when its client goes, leaving no upstream process or session behind', async () => {
      const { proxyGone, exitCode, upstreamPids } = await pair.stop();
      expect(proxyGone).toBe(true);
      if (client !== 'stdio') expect(exitCode).toBe(0);
      if (upstream === 'stdio') {
        expect(upstreamPids).toHaveLength(2); // the tap and the fixture behind it
        expect(await eventually(() => upstreamPids.every((pid) => !isAlive(pid)), 10_000)).toBe(true);
      } else {
        const server = upstream === 'sse' ? sseUpstream : httpUpstream;
        expect(await eventually(() => server.live() === 0, 10_000)).toBe(true);
      }
    }, 30_000);
  });
});
