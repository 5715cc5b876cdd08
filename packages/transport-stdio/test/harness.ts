import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Channel, Message, Params, RequestId, Response } from '@mcproxy/core';

export const ECHO_SERVER = fileURLToPath(new URL('./fixtures/echo-server.mjs', import.meta.url));
export const SDK_SERVER = fileURLToPath(new URL('./fixtures/sdk-server.mjs', import.meta.url));
export const SERVE_PROXY = fileURLToPath(new URL('./fixtures/serve-proxy.mjs', import.meta.url));
export const REGISTER_TS = fileURLToPath(new URL('./fixtures/register-ts.mjs', import.meta.url));

// Process checks live in the private testing package, shared with the CLI's tests.
export { eventually, isAlive } from '@mcproxy/testing';

/** A downstream client on a core channel: sends requests, matches answers by id. */
export class TestClient {
  readonly received: Message[] = [];
  private readonly pending = new Map<RequestId, (r: Response) => void>();
  private nextId = 1;

  constructor(readonly channel: Channel) {
    channel.onmessage = (m) => {
      this.received.push(m);
      if ('id' in m && !('method' in m) && m.id !== null) this.pending.get(m.id)?.(m);
    };
  }

  start(): Promise<void> {
    return this.channel.start();
  }

  request(method: string, params?: Params, id: RequestId = this.nextId++): Promise<Response> {
    const answered = new Promise<Response>((resolve) => this.pending.set(id, resolve));
    void this.channel.send(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    return answered;
  }

  call(tool: string, args: Params = {}, id?: RequestId): Promise<Response> {
    return this.request('tools/call', { name: tool, arguments: args }, id);
  }
}

/** Every line a stream carries, parsed when it is JSON (else kept as text); `next()` waits for the next one. */
export class LineQueue {
  readonly lines: unknown[] = [];
  private read = 0;
  private wake: (() => void) | undefined;

  constructor(stream: Readable) {
    const lines = createInterface({ input: stream });
    lines.on('line', (line) => {
      this.lines.push(parse(line));
      this.wake?.();
    });
    // readline re-emits a stream's error; the code under test is what should react to it.
    lines.on('error', () => undefined);
  }

  async next(): Promise<unknown> {
    while (this.read >= this.lines.length) await this.arrival();
    return this.lines[this.read++];
  }

  /** Resolves with the first line, seen or still to come, that `match` accepts. */
  async find(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (let seen = 0; ; ) {
      for (; seen < this.lines.length; seen++) {
        const line = this.lines[seen];
        if (typeof line === 'object' && line !== null && match(line as Record<string, unknown>)) return line as Record<string, unknown>;
      }
      await this.arrival();
    }
  }

  private arrival(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        this.wake = previous;
        previous?.();
        resolve();
      };
    });
  }
}

function parse(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return line;
  }
}

/** The text of the first content item of a tools/call result. */
export function textOf(response: Response): string {
  if (response.error !== undefined) throw new Error(`expected a result, got error ${JSON.stringify(response.error)}`);
  const content = response.result.content as Array<{ text: string }>;
  return content[0]?.text ?? '';
}
