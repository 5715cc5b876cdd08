import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type JSONRPCMessage,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { isAlive } from '@mcproxy/testing';
import { BIN, FIXTURE, gone, runCli, type CliRun } from './cli-process.js';
import { record, type InProcessUpstream, type TapSession } from './matrix-upstreams.js';

export const TAP = fileURLToPath(new URL('./stdio-tap.mjs', import.meta.url));

export type Kind = 'stdio' | 'sse' | 'streamable-http';
type Log = Record<string, unknown>;

/** Parsed JSON lines of a stream (pino's), with a wait for the first that matches. */
class LogLines {
  readonly lines: Log[] = [];
  readonly raw: string[] = [];
  private waiters: Array<{ match: (l: Log) => boolean; resolve: (l: Log) => void }> = [];

  constructor(stream: Readable) {
    createInterface({ input: stream }).on('line', (line) => {
      this.raw.push(line);
      let parsed: Log;
      try {
        parsed = JSON.parse(line) as Log;
      } catch {
        return;
      }
      this.lines.push(parsed);
      for (const w of [...this.waiters])
        if (w.match(parsed)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
    });
  }

  wait(match: (l: Log) => boolean, ms = 15_000): Promise<Log> {
    const hit = this.lines.find(match);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such log line within ${ms} ms; mcproxy said:\n${this.raw.join('\n')}`)), ms);
      this.waiters.push({
        match,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  /** The `{"tap": ...}` lines stdio-tap.mjs wrote, as mcproxy logged them from its child's stderr. */
  taps(): Log[] {
    const out: Log[] = [];
    for (const l of this.lines) {
      if (l.msg !== 'upstream stderr' || typeof l.stderr !== 'string' || !l.stderr.startsWith('{"tap"')) continue;
      out.push(JSON.parse(l.stderr) as Log);
    }
    return out;
  }
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

/**
 * The client's side of sampling: answers at once with an echo of the prompt,
 * except for prompts it was told to hold, which it answers only on `release()`
 * (or never, if the upstream cancels the request first).
 */
export class SamplingDesk {
  readonly requests: Array<CreateMessageRequest['params']> = [];
  private holds = new Map<string, { arrived: ReturnType<typeof deferred>; released: ReturnType<typeof deferred> }>();

  hold(prompt: string): { arrived: Promise<void>; release: () => void } {
    const entry = { arrived: deferred(), released: deferred() };
    this.holds.set(prompt, entry);
    return { arrived: entry.arrived.promise, release: entry.released.resolve };
  }

  async answer(request: CreateMessageRequest, signal: AbortSignal): Promise<CreateMessageResult> {
    this.requests.push(request.params);
    const first = request.params.messages[0]?.content;
    const prompt = first !== undefined && 'text' in first ? String(first.text) : '';
    const held = this.holds.get(prompt);
    if (held) {
      held.arrived.resolve();
      await new Promise<void>((resolve, reject) => {
        void held.released.promise.then(resolve);
        signal.addEventListener('abort', () => reject(new Error('sampling cancelled by the upstream')), { once: true });
      });
    }
    return { model: 'matrix-echo', role: 'assistant', content: { type: 'text', text: `echo: ${prompt}` } };
  }
}

export const ELICITED = { username: 'matrix', email: 'matrix@example.com' };

export interface PairSpec {
  upstream: Kind;
  client: Kind;
  /** The upstream's entry in the pipeline file. */
  entry: Record<string, unknown>;
  /** The `serve` section of the pipeline file. */
  serve: Record<string, unknown>;
  /** For the HTTP upstreams: the server, to read its tap and its live sessions. */
  server?: InProcessUpstream;
  dir: string;
}

export interface Pair {
  client: Client;
  logs: LogLines;
  sampling: SamplingDesk;
  elicitations: Array<ElicitRequest['params']>;
  logMessages: Array<LoggingMessageNotification['params']>;
  /** What the client's protocol or transport reported as errors (an unknown response id would land here). */
  clientErrors: Error[];
  /**
   * Every message from mcproxy, in the order the client's transport delivered
   * them: the order on the wire, before the SDK's Protocol (which runs
   * notification handlers a microtask later than response handlers) sees them.
   */
  wire: JSONRPCMessage[];
  /** What reached the upstream during this pair, one entry per upstream session. */
  tap(): TapSession[];
  /** Ends the client, then the proxy (SIGTERM when it serves HTTP, end of stdin when it serves stdio). */
  stop(): Promise<{ proxyGone: boolean; exitCode: number | null | undefined; upstreamPids: number[] }>;
  /** Last resort for afterAll: kills whatever the pair started that still runs. */
  dispose(): Promise<void>;
}

/** The stdio upstream: the fixture server behind the tap, spawned by mcproxy. */
export const stdioEntry = (): Record<string, unknown> => ({ command: process.execPath, args: [TAP, process.execPath, FIXTURE, '--stdio'] });

export async function openPair(spec: PairSpec): Promise<Pair> {
  const file = join(spec.dir, `${spec.upstream}-to-${spec.client}.yaml`);
  // JSON is YAML: no quoting to get wrong in paths.
  await writeFile(file, JSON.stringify({ serve: spec.serve, upstreams: { fixture: spec.entry } }, null, 2));
  const firstSession = spec.server?.sessions.length ?? 0;

  const sampling = new SamplingDesk();
  const elicitations: Array<ElicitRequest['params']> = [];
  const logMessages: Array<LoggingMessageNotification['params']> = [];
  const clientErrors: Error[] = [];
  const client = new Client({ name: 'matrix', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
  client.onerror = (err) => clientErrors.push(err);
  client.setRequestHandler(CreateMessageRequestSchema, (request, extra) => sampling.answer(request, extra.signal));
  client.setRequestHandler(ElicitRequestSchema, (request) => {
    elicitations.push(request.params);
    return { action: 'accept', content: ELICITED };
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logMessages.push(n.params);
  });

  const wire: JSONRPCMessage[] = [];
  const connect = async (transport: Transport) => {
    await client.connect(transport);
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      wire.push(message);
      deliver?.(message, extra);
    };
  };

  let run: CliRun | undefined;
  let stdio: StdioClientTransport | undefined;
  let proxyPid: number | undefined;
  let logs: LogLines;
  if (spec.client === 'stdio') {
    stdio = new StdioClientTransport({ command: process.execPath, args: [BIN, '--config', file], stderr: 'pipe' });
    logs = new LogLines(stdio.stderr as Readable);
    await connect(stdio);
    proxyPid = stdio.pid ?? undefined;
  } else {
    run = runCli(['--config', file]);
    proxyPid = run.child.pid;
    logs = new LogLines(run.child.stderr!);
    const ready = await run.waitLog((l) => l.msg === 'proxy ready', 20_000);
    const url = spec.client === 'sse' ? String(ready.sse) : String(ready.url);
    await connect(spec.client === 'sse' ? new SSEClientTransport(new URL(url)) : new StreamableHTTPClientTransport(new URL(url)));
  }

  const upstreamPids = (): number[] => {
    const started = logs.lines.filter((l) => l.msg === 'upstream process started' && typeof l.childPid === 'number').map((l) => l.childPid as number);
    const spawned = logs
      .taps()
      .filter((t) => t.tap === 'spawned' && typeof t.pid === 'number')
      .map((t) => t.pid as number);
    return [...started, ...spawned];
  };

  return {
    client,
    logs,
    sampling,
    elicitations,
    logMessages,
    clientErrors,
    wire,
    tap() {
      if (spec.server) return spec.server.sessions.slice(firstSession);
      const session: TapSession = { calls: [], cancelled: [] };
      for (const t of logs.taps()) {
        if (t.tap === 'call') record(session, { method: 'tools/call', id: t.id, params: { name: t.name, arguments: t.arguments } });
        if (t.tap === 'cancelled') record(session, { method: 'notifications/cancelled', params: { requestId: t.requestId } });
      }
      return [session];
    },
    async stop() {
      const pids = upstreamPids();
      await client.close();
      let exitCode: number | null | undefined;
      if (run) {
        run.child.kill('SIGTERM');
        exitCode = (await run.exited).code;
      }
      return { proxyGone: proxyPid !== undefined && (await gone(proxyPid, 10_000)), exitCode, upstreamPids: pids };
    },
    async dispose() {
      const pids = upstreamPids();
      await client.close().catch(() => {});
      if (run && run.child.exitCode === null && run.child.signalCode === null) {
        run.child.kill('SIGKILL');
        await run.exited;
      }
      if (proxyPid !== undefined && isAlive(proxyPid)) process.kill(proxyPid, 'SIGKILL');
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}
