import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawSocket, Teardown } from '@mcproxy/testing';
import { serveProxy } from '../../test/setup.js';

const t = new Teardown();
afterEach(() => t.run());

const MiB = 1024 * 1024;

/** Everything the server sends until it closes the connection, and the error (ECONNRESET) if it reset it. */
function readAll(socket: Socket): Promise<{ text: string; error: string | undefined }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => void (error = err.code ?? err.message));
    socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), error }));
    socket.resume();
  });
}

/** Writes `size` bytes of a tools/call body in 64 KiB pieces, each after the last was taken (back-pressure); resolves with the first write error. */
async function writeBody(socket: Socket, size: number, chunked: boolean): Promise<string | undefined> {
  const piece = Buffer.alloc(64 * 1024, ' ');
  piece.write('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"pad":"');
  for (let sent = 0; sent < size; sent += piece.length) {
    const data = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => socket.write(data, (e) => resolve(e ?? undefined)));
    if (err) return err.code ?? err.message;
  }
  if (chunked) socket.write('0\r\n\r\n');
  return undefined;
}

/**
 * Posts 9 MiB by default (past the 4 MiB default limit, and past what the proxy used
 * to drain) on a keep-alive connection, the whole body first and then the
 * answer, as clients that write with back-pressure read it.
 */
async function postOversized(
  url: string,
  chunked: boolean,
  size = 9 * MiB,
): Promise<{ text: string; error: string | undefined; writeError: string | undefined }> {
  const socket = await rawSocket(url, t);
  socket.pause();
  const length = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`;
  socket.write(
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n${length}\r\n\r\n`,
  );
  const writeError = await writeBody(socket, size, chunked);
  return { ...(await readAll(socket)), writeError };
}

describe('an oversized POST', () => {
  it('gets its 413 every time: the proxy answers, then reads and drops the rest of the declared body before closing (lingering close)', async () => {
    const { http } = await serveProxy(t);
    for (let i = 0; i < 3; i++) {
      const { text, error, writeError } = await postOversized(http.url, false);
      expect({ writeError, error }).toEqual({ writeError: undefined, error: undefined });
      expect(text).toMatch(/^HTTP\/1\.1 413 /);
      expect(text).toMatch(/connection: close/i);
      expect(text).toContain('"limit":"clientMessageBytes"');
    }
    // And the proxy goes on serving.
    expect(http.server.listening).toBe(true);
  });

  it('of 16 MiB gets its 413 when the body has no length (chunked): cut the same way', async () => {
    const { http } = await serveProxy(t);
    const { text, error, writeError } = await postOversized(http.url, true, 16 * MiB);
    expect({ writeError, error }).toEqual({ writeError: undefined, error: undefined });
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('is read for nothing only up to a bound: a client that never stops is cut', async () => {
    const { http } = await serveProxy(t);
    const socket = await rawSocket(http.url, t);
    socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${1024 * MiB}\r\n\r\n`);
    const answer = readAll(socket);
    // 1 GiB declared: the proxy answers, drops at most 32 MiB more, then closes.
    expect(await writeBody(socket, 1024 * MiB, false)).toMatch(/EPIPE|ECONNRESET/);
    expect((await answer).text).toMatch(/^HTTP\/1\.1 413 /);
    expect(socket.bytesWritten).toBeLessThan(128 * MiB);
  });
});
