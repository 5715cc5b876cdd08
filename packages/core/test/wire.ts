import { createChannelPair, type Channel, type Message, type MessageExtra } from '../src/index.js';

type Received = { message: Message; extra: MessageExtra | undefined };

/**
 * The far end of a channel pair, seen raw: every message as it crossed the
 * wire (ids and all), a way to wait for the next one that matches, and a way
 * to send anything, valid or not.
 */
export class Wire {
  readonly received: Received[] = [];
  private readonly taken = new Set<Received>();
  private waiters: Array<{ match: (m: Message) => boolean; resolve: (r: Received) => void }> = [];

  constructor(readonly channel: Channel) {
    channel.onmessage = (message, extra) => {
      const r = { message, extra };
      this.received.push(r);
      const i = this.waiters.findIndex((w) => w.match(message));
      if (i >= 0) {
        this.taken.add(r);
        this.waiters.splice(i, 1)[0]!.resolve(r);
      }
    };
  }

  /** Waits for a message that matches and that no earlier call returned. */
  next(match: (m: Message) => boolean = () => true): Promise<Received> {
    const hit = this.received.find((r) => !this.taken.has(r) && match(r.message));
    if (hit) {
      this.taken.add(hit);
      return Promise.resolve(hit);
    }
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  method(name: string): Promise<Received> {
    return this.next((m) => 'method' in m && m.method === name);
  }

  response(id: string | number): Promise<Received> {
    return this.next((m) => !('method' in m) && m.id === id);
  }

  send(message: unknown): Promise<void> {
    return this.channel.send(message as Message);
  }
}

/** A channel for the proxy and a raw wire on its far end, started. */
export async function wirePair(): Promise<[Channel, Wire]> {
  const [near, far] = createChannelPair();
  const wire = new Wire(far);
  await far.start();
  return [near, wire];
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
