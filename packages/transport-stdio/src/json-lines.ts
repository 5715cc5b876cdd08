import type { Readable, Writable } from 'node:stream';
import { jsonOf, type Message } from '@mcproxy/core';
import { LineSplitter } from './line-splitter.js';

/**
 * The longest line we buffer. MCP results can carry base64 images and file
 * contents, so this is generous; it exists so that a peer which never writes
 * a newline cannot take all our memory.
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface JsonLineHandlers {
  /** A line that parsed as JSON. Passed on unchecked: core's Peer sorts it and answers -32600 for what is not JSON-RPC. */
  value(value: unknown): void;
  /** A line that is not JSON, or was too long to read; `line` is absent when it was dropped unread. */
  bad(reason: string, line: string | undefined): void;
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
 */
export function readJsonLines(input: Readable, maxBytes: number, handlers: JsonLineHandlers): JsonLineReader {
  const splitter = new LineSplitter(maxBytes, {
    line(text) {
      if (text.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        handlers.bad(`Parse error: ${err instanceof Error ? err.message : String(err)}`, text);
        return;
      }
      handlers.value(value);
    },
    oversize(bytes) {
      handlers.bad(`Parse error: a line of ${bytes} bytes is longer than the limit of ${maxBytes}`, undefined);
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
    output.write(`${jsonOf(message)}\n`, (err) => (err ? reject(err) : resolve()));
  });
}

/** Shortens a line for a log entry: a misbehaving peer may write megabytes. */
export function clip(line: string, max = 500): string {
  return line.length <= max ? line : `${line.slice(0, max)}… (${line.length} characters)`;
}
