import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { sleep } from './proxy-process.js';

const clients = new Set<Client>();

/** A real MCP client (the SDK's) on a streamable HTTP URL, or a legacy SSE one; closed by `closeClients()`. */
export async function mcpClient(url: string, name = 'robustness', transport: 'http' | 'sse' = 'http'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  clients.add(client);
  await client.connect(transport === 'sse' ? new SSEClientTransport(new URL(url)) : new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

export async function closeClients(): Promise<void> {
  await Promise.allSettled([...clients].map((c) => c.close()));
  clients.clear();
}

/** Calls a tool, settling within `ms` either way: `{ ok, text }` or `{ error }`, or `hung`. */
export async function callSettled(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
  ms = 20_000,
): Promise<{ text?: string; error?: { code?: number; message: string; data?: unknown }; hung?: true }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<{ hung: true }>((resolve) => {
    timer = setTimeout(() => resolve({ hung: true }), ms + 1000);
  });
  const call = client.callTool({ name, arguments: args }, undefined, { timeout: ms }).then(
    (r) => {
      const first = (r.content as Array<{ type: string; text?: string }> | undefined)?.[0];
      return r.isError ? { error: { message: first?.text ?? 'isError' } } : { text: first?.text ?? '' };
    },
    (err: unknown) => {
      const e = err as { code?: number; message?: string; data?: unknown };
      return { error: { code: e.code, message: String(e.message ?? err), data: e.data } };
    },
  );
  try {
    return await Promise.race([call, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Another session that keeps working while a test attacks the proxy: it
 * calls `echo` every `everyMs` until stopped and records what went wrong.
 */
export async function startWitness(
  url: string,
  options: { everyMs?: number; transport?: 'http' | 'sse' } = {},
): Promise<{ stop(): Promise<{ calls: number; failures: string[] }>; once(): Promise<void> }> {
  const everyMs = options.everyMs ?? 250;
  const client = await mcpClient(url, 'witness', options.transport);
  const failures: string[] = [];
  let calls = 0;
  let stopped = false;
  const once = async (): Promise<void> => {
    const text = `witness-${calls}`;
    const r = await callSettled(client, 'echo', { text }, 20_000);
    calls += 1;
    if (r.text !== text) failures.push(r.hung ? 'witness call hung' : `witness call failed: ${JSON.stringify(r.error ?? r.text)}`);
  };
  await once();
  const loop = (async () => {
    while (!stopped) {
      await sleep(everyMs);
      if (!stopped) await once();
    }
  })();
  return {
    once,
    async stop() {
      stopped = true;
      await loop;
      await once();
      return { calls, failures };
    },
  };
}

export interface RawAnswer {
  /** The final status (1xx skipped), or undefined when the server closed without one. */
  status: number | undefined;
  head: string;
  /** The first bytes of the body that arrived with the head. */
  bodyStart: string;
}

/**
 * Sends raw bytes to 127.0.0.1:`port` and resolves with the first final
 * status line, or `status: undefined` if the connection closed first; rejects
 * after `ms` (a hang). The socket is destroyed once a status is in, so a
 * stream answer is not read further.
 */
export function rawHttp(port: number, request: Buffer | string, ms = 15_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${ms} ms to ${JSON.stringify(String(request).slice(0, 200))}`));
    }, ms);
    const finish = (answer: RawAnswer): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    socket.on('error', () => {});
    socket.on('close', () => finish({ status: undefined, head: got.toString('latin1').slice(0, 500), bodyStart: '' }));
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      for (;;) {
        const text = got.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end === -1) return;
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]);
        if (status >= 100 && status < 200) {
          got = got.subarray(end + 4);
          continue;
        }
        return finish({ status: Number.isNaN(status) ? undefined : status, head: text.slice(0, end), bodyStart: text.slice(end + 4, end + 4 + 2000) });
      }
    });
    socket.write(request);
  });
}

/** A JSON-RPC client on a proxy's stdio face (its stdin and stdout). */
export class StdioFace {
  private readonly waiting = new Map<string, (m: Record<string, unknown>) => void>();
  /** Answers with no id we asked for (e.g. -32700 to a line that is not JSON). */
  readonly stray: Array<Record<string, unknown>> = [];
  notifications = 0;
  private next = 0;

  constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.stray.push({ unparsable: line.slice(0, 200) });
        return;
      }
      if (m.method !== undefined && m.id === undefined) {
        this.notifications += 1;
        return;
      }
      const key = JSON.stringify(m.id);
      const resolve = this.waiting.get(key);
      if (resolve && m.method === undefined) {
        this.waiting.delete(key);
        resolve(m);
      } else if (this.stray.length < 1000) this.stray.push(m);
    });
    child.stdin!.on('error', () => {});
  }

  /** Writes one raw line (the newline is added). */
  write(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Sends a request and resolves with its answer, or rejects after `ms`. */
  request(method: string, params: Record<string, unknown> = {}, ms = 20_000, id: string | number = `t-${this.next++}`): Promise<Record<string, unknown>> {
    const key = JSON.stringify(id);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`no answer to ${method} (id ${key}) within ${ms} ms`));
      }, ms);
      this.waiting.set(key, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  /** initialize + notifications/initialized, as a client does first. */
  async handshake(): Promise<Record<string, unknown>> {
    const answer = await this.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'stdio-face', version: '1' } });
    this.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    return answer;
  }
}
