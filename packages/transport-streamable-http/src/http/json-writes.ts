// A JSON answer that ends a response: one text, or pieces when the message carries large parts as bytes.
import type { ServerResponse } from 'node:http';
import type { Message } from '@mcproxy/core';
import { wireOf, writeWire } from '@mcproxy/large-json';

/**
 * Answers with `message` as JSON and ends. A message carrying large parts as
 * bytes goes out as pieces with a Content-Length, never joined into one text.
 */
export function endJson(res: ServerResponse | undefined, status: number, headers: Record<string, string>, message: Message): void {
  if (res === undefined) return;
  const wire = wireOf(message);
  if (typeof wire === 'string') {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(wire)), ...headers }).end(wire);
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(wire.bytes), ...headers });
  writeWire(res, wire);
  res.end();
}
