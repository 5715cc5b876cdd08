import type { Readable, Writable } from 'node:stream';
import type { Message } from '@mcproxy/core';
import { framed, wireOf, writeWire } from '@mcproxy/large-json';
import { LineSplitter, type LineEdges } from './line-splitter.js';

export interface JsonLineHandlers {
  /** A line that parsed as JSON. Passed on unchecked: core's Peer sorts it and answers -32600 for what is not JSON-RPC. */
  value(value: unknown): void;
  /** A line that is not JSON. */
  bad(reason: string, line: string): void;
  /** A line longer than the limit: its bytes were dropped unread, newline included, and never held at once. */
  oversize(bytes: number, edges: LineEdges): void;
  /** A line has just passed the limit; `oversize` follows at its end, if it ever ends. */
  overflow?(head: string): void;
  /** One of the handlers above threw: the next line is read all the same. */
  failed(err: unknown): void;
}

/** A reader attached to a stream; `stop` detaches it and hands back any unfinished last line. */
export interface JsonLineReader {
  stop(): string | undefined;
}

/**
 * Reads newline-delimited JSON from `input`, as the MCP stdio transport
 * frames it. We do our own framing rather than use the SDK's `ReadBuffer`
 * because that one validates with its own schema and reports failures only
 * to `onerror`, so a client that sent a bad line would never get an answer.
 * It never holds more than one line (at most `maxBytes`) plus the chunk in
 * hand, and nothing a handler throws escapes into the stream's 'data' event,
 * where it would crash the process and lose the rest of the chunk.
 */
export function readJsonLines(input: Readable, maxBytes: number, handlers: JsonLineHandlers): JsonLineReader {
  const guarded = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      try {
        handlers.failed(err);
      } catch {
        // A failing error handler leaves nothing else to tell.
      }
    }
  };
  const splitter = new LineSplitter(maxBytes, {
    line(text) {
      if (text.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        guarded(() => handlers.bad(`Parse error: ${err instanceof Error ? err.message : String(err)}`, text));
        return;
      }
      guarded(() => handlers.value(value));
    },
    oversize(bytes, edges) {
      guarded(() => handlers.oversize(bytes, edges));
    },
    overflow(head) {
      guarded(() => handlers.overflow?.(head));
    },
    frame(result) {
      if (result.ok) guarded(() => handlers.value(result.value));
      else guarded(() => handlers.bad(result.reason, result.head));
    },
  });
  const ondata = (chunk: Buffer | string): void => splitter.push(chunk);
  input.on('data', ondata);
  return {
    stop() {
      input.off('data', ondata);
      return splitter.rest();
    },
  };
}

/**
 * Writes one message as one line and resolves once the stream has taken it,
 * so a slow reader slows us down instead of filling memory. JSON text
 * escapes newlines inside strings, so a message can never span two lines.
 */
export function writeJsonLine(output: Writable, message: Message): Promise<void> {
  return new Promise((resolve, reject) => {
    if (output.destroyed || output.writableEnded) {
      reject(new Error('the stream is closed'));
      return;
    }
    // Under load many messages leave in one tick: corked, they go out in one write.
    if (output.writableCorked === 0) {
      output.cork();
      process.nextTick(() => output.uncork());
    }
    // A message carrying a large part kept as bytes goes out as pieces, those bytes among them, uncopied.
    writeWire(output, framed('', wireOf(message), '\n'), (err) => (err ? reject(err) : resolve()));
  });
}

/** Shortens a line for a log entry: a misbehaving peer may write megabytes. */
export function clip(line: string, max = 500): string {
  return line.length <= max ? line : `${line.slice(0, max)}… (${line.length} characters)`;
}
