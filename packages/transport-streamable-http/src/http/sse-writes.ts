// Writing to a client's event stream without letting a slow reader grow the proxy: every face's streams go through here.
import type { ServerResponse } from 'node:http';
import { LARGE_FRAME_BYTES, writeWire, type Wire } from '@mcproxy/large-json';

/** The largest message of a megabyte or more written to a response since it last drained: that one is not its reader falling behind. */
const large = new WeakMap<ServerResponse, number>();

/**
 * Writes `text` to an event stream unless its reader has fallen more than
 * `maxBuffered` bytes behind: then the response is destroyed and
 * `onCut(buffered)` called. Node buffers whatever a reader does not take
 * (an upstream flooding a client that never reads grew the proxy from 80 MB
 * to 1.3 GB in 40 s); cutting bounds that, and a client that resumes with
 * `Last-Event-ID` loses nothing the event store still holds. One message
 * larger than a megabyte may wait whole beyond `maxBuffered` (a 50 MB
 * result is not a slow reader); more than that is. Returns whether the
 * text went out.
 */
export function writeOrCut(res: ServerResponse, text: Wire, maxBuffered: number, onCut: (buffered: number) => void): boolean {
  if (res.destroyed || res.writableEnded) return false;
  writeWire(res, text);
  // The largest message of a megabyte or more since the stream last drained is not held against its reader; the rest is.
  const size = typeof text === 'string' ? text.length : text.bytes;
  if (size >= LARGE_FRAME_BYTES) {
    if (!large.has(res)) res.once('drain', () => large.delete(res));
    large.set(res, Math.max(large.get(res) ?? 0, size));
  }
  // The response's own buffer and its socket's: all that waits for the reader.
  const buffered = res.writableLength - (large.get(res) ?? 0);
  if (buffered <= maxBuffered) return true;
  onCut(buffered);
  res.destroy();
  return false;
}
