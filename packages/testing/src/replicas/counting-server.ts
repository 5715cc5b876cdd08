import { appendFileSync, readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';

// An upstream that writes down every execution, one JSON line each, in a file
// shared by every process that serves it (stdio children of several replicas,
// an HTTP server in the test), so a test sees duplicates and sessions across
// all of them. Lines are short and appended with O_APPEND: whole, never mixed.

/** One line of a count file. `via` names the upstream session: `pid:<n>` for a stdio child, `session:<id>` over HTTP. */
export type CountLine =
  | { kind: 'start'; upstream: string; pid: number }
  | { kind: 'count'; upstream: string; n: string; via: string }
  | { kind: 'limited'; upstream: string; n: string; via: string }
  | { kind: 'ask'; upstream: string; via: string; answer: string };

export interface CountingServerOptions {
  /** The count file (appended to, never truncated). */
  file: string;
  /** The upstream's name in each line (the test's name for it). */
  upstream: string;
  /** Names the upstream session a call ran in (see `CountLine`). */
  via: (sessionId: string | undefined) => string;
}

export const COUNTING_SERVER_INFO = { name: 'mcproxy-counting-fixture', version: '0.0.0' } as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Appends one line to a count file. */
export function writeCount(file: string, line: CountLine): void {
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** Every line of a count file so far (none when it does not exist yet). */
export function readCounts(file: string): CountLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CountLine);
}

/**
 * A fresh 2025-era MCP server (SDK 1.x) whose tools count what they do:
 * - `count {n, ms?}`: writes a `count` line with `n`, then waits `ms`, answers `counted <n> via <session>`;
 * - `limited {n}`: the same as a `limited` line (the tool a rate limit names);
 * - `ask {question}`: elicits an answer from the client, writes an `ask` line, answers `answered <action> <content>`;
 * - `announce {from, count, intervalMs?}`: answers, then sends `count` log notifications not tied to any call (the
 *   standalone stream), `data: {seq}` from `from` upward, 50 ms later.
 * - `change_tools`: adds a tool (`added_<n>`), so the server sends `notifications/tools/list_changed`.
 */
export function createCountingServer(options: CountingServerOptions): McpServer {
  const { file, upstream, via } = options;
  const server = new McpServer(COUNTING_SERVER_INFO, { capabilities: { logging: {} } });

  server.registerTool(
    'count',
    { description: 'Writes n to the count file, waits ms, answers.', inputSchema: { n: z.string(), ms: z.number().int().min(0).optional() } },
    async ({ n, ms }, extra) => {
      const where = via(extra.sessionId);
      writeCount(file, { kind: 'count', upstream, n, via: where });
      if (ms !== undefined && ms > 0) await sleep(ms);
      return { content: [{ type: 'text', text: `counted ${n} via ${where}` }] };
    },
  );

  server.registerTool('limited', { description: 'Writes n to the count file as limited, answers.', inputSchema: { n: z.string() } }, async ({ n }, extra) => {
    const where = via(extra.sessionId);
    writeCount(file, { kind: 'limited', upstream, n, via: where });
    return { content: [{ type: 'text', text: `limited ${n}` }] };
  });

  server.registerTool('ask', { description: 'Elicits an answer and reports it.', inputSchema: { question: z.string() } }, async ({ question }, extra) => {
    const result = await extra.sendRequest(
      {
        method: 'elicitation/create',
        params: { message: question, requestedSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } },
      },
      ElicitResultSchema,
    );
    const answer = `${result.action} ${JSON.stringify(result.content ?? {})}`;
    writeCount(file, { kind: 'ask', upstream, via: via(extra.sessionId), answer });
    return { content: [{ type: 'text', text: `answered ${answer}` }] };
  });

  server.registerTool(
    'announce',
    {
      description: 'Answers, then sends count log notifications on the standalone stream, seq from `from` upward.',
      inputSchema: { from: z.number().int(), count: z.number().int().min(0).max(10_000), intervalMs: z.number().int().min(0).optional() },
    },
    async ({ from, count, intervalMs }) => {
      // After the answer, so that no call is in flight: over stdio a proxy would otherwise tie them to it.
      setTimeout(() => {
        void (async () => {
          for (let seq = from; seq < from + count; seq++) {
            await server.server.notification({ method: 'notifications/message', params: { level: 'info', logger: 'announce', data: { seq } } });
            if (intervalMs !== undefined && intervalMs > 0) await sleep(intervalMs);
          }
        })().catch(() => undefined);
      }, 50);
      return { content: [{ type: 'text', text: `announcing ${from}..${from + count - 1}` }] };
    },
  );
  let added = 0;
  server.registerTool('change_tools', { description: 'Adds a tool, so this server tells its client the tool list changed.' }, async () => {
    added++;
    server.registerTool(`added_${added}`, { description: 'Added by change_tools.' }, async () => ({ content: [{ type: 'text', text: 'added' }] }));
    return { content: [{ type: 'text', text: `added added_${added}` }] };
  });
  return server;
}
