import { mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type Logger } from '@mcproxy/core';
import { pino, type DestinationStream } from 'pino';

/**
 * Opens where traffic lines go. stderr is written synchronously, as the
 * proxy's own log is, so the two interleave in order. A file is opened here,
 * at configuration time, so a path that cannot be written is a ConfigError
 * when the proxy starts rather than a crash at the first message; it is then
 * written asynchronously (traffic can be heavy), and pino flushes it when the
 * process exits.
 */
export function openDestination(destination: string | number, log: Logger): DestinationStream {
  if (destination === 'stderr' || destination === 2) return pino.destination({ fd: 2, sync: true });
  const path = resolve(String(destination));
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'a');
  } catch (err) {
    throw new ConfigError(`logging destination "${path}" cannot be written: ${err instanceof Error ? err.message : String(err)}`);
  }
  const stream = pino.destination({ fd, sync: false });
  // A full disk must not take the proxy down with it: say so and carry on.
  stream.on('error', (err: unknown) => log.error({ err, destination: path }, 'traffic log could not be written'));
  return stream;
}
