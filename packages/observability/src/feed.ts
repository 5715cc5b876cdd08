import type { ServerResponse } from 'node:http';
import type { Outcome } from './labels.js';

/** One finished request, as the dashboard's live tail shows it. */
export interface TailEvent {
  /** When it ended (ms since the epoch). */
  t: number;
  /** The route whose endpoint took it. */
  route: string;
  method: string;
  /** The tool, prompt or resource it named, if any. */
  name?: string;
  /** The upstream that answered (`proxy`: none; `several`: a fan-out). */
  upstream: string;
  outcome: Outcome;
  ms: number;
  /** The error message, when it failed. */
  error?: string;
  /** Params and result, only when the logging middleware logs payloads, redacted and cut as it does. */
  payload?: unknown;
}

/** One second of traffic, for the chart. */
interface Second {
  t: number;
  count: number;
  errors: number;
  sumMs: number;
  maxMs: number;
}

/** Seconds of traffic the chart can show (ten minutes). */
const SECONDS = 600;
/** Dashboards watching at once; more are told 503. */
export const MAX_WATCHERS = 16;
/** Bytes waiting for one watcher; past it that watcher is cut (its page reconnects). */
const MAX_BACKLOG = 1024 * 1024;
/** Tail events kept for a page that connects (it starts with these). */
const KEPT = 100;

/**
 * What the dashboard is fed: per-second counts over the last ten minutes
 * (kept always: a few array slots) and each finished request as an event
 * (the last 100 kept always, so a page that connects starts with them). Watchers are server-sent-event streams, bounded in
 * number and in what may wait for each; a slow one is cut, never buffered.
 */
export class Feed {
  private readonly seconds: Second[] = Array.from({ length: SECONDS }, () => ({ t: 0, count: 0, errors: 0, sumMs: 0, maxMs: 0 }));
  private readonly recent: TailEvent[] = [];
  private readonly watchers = new Set<ServerResponse>();

  /** Whether anyone watches: the admin listener sends its ticks only then. */
  get watched(): boolean {
    return this.watchers.size > 0;
  }

  /** Counts one finished request into its second. */
  count(now: number, ms: number, failed: boolean): void {
    const t = Math.floor(now / 1000);
    const s = this.seconds[t % SECONDS]!;
    if (s.t !== t) Object.assign(s, { t, count: 0, errors: 0, sumMs: 0, maxMs: 0 });
    s.count++;
    if (failed) s.errors++;
    s.sumMs += ms;
    if (ms > s.maxMs) s.maxMs = ms;
  }

  /** Sends one event to every watcher and keeps it for pages that connect later. */
  publish(event: TailEvent): void {
    this.recent.push(event);
    if (this.recent.length > KEPT) this.recent.shift();
    this.send('request', event);
  }

  /** The last `n` seconds, oldest first: `[t, count, errors, meanMs, maxMs]` each (seconds with no traffic are zeros). */
  series(now: number, n = SECONDS): Array<[number, number, number, number, number]> {
    const last = Math.floor(now / 1000);
    const out: Array<[number, number, number, number, number]> = [];
    for (let t = last - Math.min(n, SECONDS) + 1; t <= last; t++) {
      const s = this.seconds[t % SECONDS]!;
      out.push(s.t === t && s.count > 0 ? [t, s.count, s.errors, Math.round((s.sumMs / s.count) * 10) / 10, Math.round(s.maxMs * 10) / 10] : [t, 0, 0, 0, 0]);
    }
    return out;
  }

  /** Takes a new watcher (an SSE response, headers not yet sent); false when there are too many. */
  watch(res: ServerResponse, snapshot: unknown): boolean {
    if (this.watchers.size >= MAX_WATCHERS) return false;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    this.watchers.add(res);
    res.once('close', () => this.watchers.delete(res));
    this.write(res, 'snapshot', snapshot);
    for (const e of this.recent) this.write(res, 'request', e);
    return true;
  }

  /** Sends `data` as event `type` to every watcher. */
  send(type: string, data: unknown): void {
    if (this.watchers.size === 0) return;
    for (const res of this.watchers) this.write(res, type, data);
  }

  /** Ends every watcher's stream. */
  close(): void {
    for (const res of this.watchers) res.end();
    this.watchers.clear();
  }

  private write(res: ServerResponse, type: string, data: unknown): void {
    if (res.writableLength > MAX_BACKLOG) {
      this.watchers.delete(res);
      res.destroy();
      return;
    }
    res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}
