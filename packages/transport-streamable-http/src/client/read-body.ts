import type { IncomingMessage } from 'node:http';
import { JsonBody } from '@mcproxy/large-json';
import { UpstreamTooLargeError, type SseParser } from './sse-parser.js';

// Readers of an upstream's response bodies. Each is bounded and none of their
// listeners can throw: an exception in one would take the process down.

/**
 * The whole body as text, at most `maxBytes` of it: a longer body (by its
 * `Content-Length`, or as it arrives) is dropped, with its connection, and
 * the promise rejects with an `UpstreamTooLargeError`.
 */
export function readText(res: IncomingMessage, maxBytes = Infinity): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      res.destroy();
      reject(err);
    };
    const declared = Number(res.headers['content-length']);
    if (declared > maxBytes) {
      fail(new UpstreamTooLargeError(maxBytes, `a body of ${declared} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // Listeners never throw: an exception in one would take the process down.
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) fail(new UpstreamTooLargeError(maxBytes, 'a body'));
      else chunks.push(chunk);
    });
    res.once('end', () => {
      try {
        resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        reject(err as Error);
      }
    });
    res.once('error', reject);
    res.once('close', () => {
      if (!res.complete) reject(new Error('the response was cut off'));
    });
  });
}

/**
 * A JSON body, at most `maxBytes` of it (`readText`'s bounds), parsed:
 * `{ value }`, or undefined when it is not JSON. A body past
 * `LARGE_FRAME_BYTES` is never joined into one text (`JsonBody`), so its
 * large parts stay the bytes they came in.
 */
export function readJson(res: IncomingMessage, maxBytes = Infinity): Promise<{ value: unknown } | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(res.headers['content-length']);
    if (declared > maxBytes) {
      res.destroy();
      reject(new UpstreamTooLargeError(maxBytes, `a body of ${declared} bytes`));
      return;
    }
    const body = new JsonBody();
    // Listeners never throw: an exception in one would take the process down.
    res.on('data', (chunk: Buffer) => {
      if (body.bytes + chunk.length > maxBytes) {
        res.destroy();
        reject(new UpstreamTooLargeError(maxBytes, 'a body'));
      } else body.push(chunk);
    });
    res.once('end', () => {
      const built = body.end();
      resolve(built.ok ? { value: built.value } : undefined);
    });
    res.once('error', reject);
    res.once('close', () => {
      if (!res.complete) reject(new Error('the response was cut off'));
    });
  });
}

/** The first `maxBytes` of a body as text (the rest is not read: the response is dropped); '' when it fails. */
export function readPrefix(res: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void =>
      resolve(
        Buffer.concat(chunks)
          .subarray(0, maxBytes)
          .toString('utf8')
          .replace(/\uFFFD$/, ''),
      );
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size < maxBytes) return;
      res.destroy();
      done();
    });
    res.once('end', done);
    res.once('error', () => resolve(''));
    res.once('close', done);
  });
}

/**
 * Feeds an event-stream body to `parser`; resolves when the server ends it,
 * rejects when the connection drops first, or when the parser refuses what
 * came (an `UpstreamTooLargeError`; the response is dropped then). Either
 * way the caller decides whether to resume.
 */
export function readEvents(res: IncomingMessage, parser: SseParser): Promise<void> {
  return new Promise((resolve, reject) => {
    res.setEncoding('utf8');
    // Listeners never throw: an exception in one would take the process down.
    res.on('data', (chunk: string) => {
      try {
        parser.push(chunk);
      } catch (err) {
        res.destroy();
        reject(err as Error);
      }
    });
    res.once('end', resolve);
    res.once('error', reject);
    res.once('close', () => {
      if (!res.complete) reject(new Error('the event stream was cut off'));
    });
  });
}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(header: string | undefined): string {
  if (header === undefined) return '';
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}
