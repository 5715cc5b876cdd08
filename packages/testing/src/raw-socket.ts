import { connect, type Socket } from 'node:net';

/** Where a helper leaves what it opened, to be closed when the test ends (a `Teardown`). */
export interface Closes {
  add(step: () => Promise<unknown>): void;
}

/**
 * A raw TCP connection to the server of `url`, once connected; destroyed by
 * `teardown`. For tests that must write what no HTTP client would (half a
 * request, a stalled body, a CONNECT) or read what a server sends before it
 * hangs up. Socket errors are swallowed after connecting: the server
 * resetting the connection is often what the test expects.
 *
 * @example
 * const socket = await rawSocket(server.url, t);
 * socket.write('POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n');
 */
export async function rawSocket(url: string, teardown: Closes): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  teardown.add(async () => void socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}
