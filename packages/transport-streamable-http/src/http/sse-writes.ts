// Writing to a client's event stream without letting a slow reader grow the proxy: every face's streams go through here.
import type { ServerResponse } from 'node:http';

/**
 * Writes `text` to an event stream unless its reader has fallen more than
 * `maxBuffered` bytes behind: then the response is destroyed and
 * `onCut(buffered)` called. Node buffers whatever a reader does not take
 * (an upstream flooding a client that never reads grew the proxy from 80 MB
 * to 1.3 GB in 40 s); cutting bounds that, and a client that resumes with
 * `Last-Event-ID` loses nothing the event store still holds. Returns
 * whether the text went out.
 */
export function writeOrCut(res: ServerResponse, text: string, maxBuffered: number, onCut: (buffered: number) => void): boolean {
  if (res.destroyed || res.writableEnded) return false;
  res.write(text);
  // The response's own buffer and its socket's: all that waits for the reader.
  const buffered = res.writableLength;
  if (buffered <= maxBuffered) return true;
  onCut(buffered);
  res.destroy();
  return false;
}
