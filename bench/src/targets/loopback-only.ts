// Preloaded (node --import) into a peer that has no host option, so that it
// listens on loopback like every other target: a listen() given only a port
// gets 127.0.0.1 as its host.
import { Server } from 'node:net';

const listen = Server.prototype.listen;
Server.prototype.listen = function listenOnLoopback(this: Server, ...args: unknown[]): Server {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  return (listen as (...a: unknown[]) => Server).apply(this, args);
} as typeof listen;
