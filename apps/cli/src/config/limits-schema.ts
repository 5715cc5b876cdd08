import { defaultLimits, type Limits } from '@mcproxy/core';
import { z } from 'zod';

const durationMs = z.number().int().positive();
const count = z.number().int().positive();
const limit = (key: keyof Limits, what: string) => (key.endsWith('Ms') ? durationMs : count).describe(`${what} (default ${defaultLimits[key]}).`);

/**
 * Every bound the proxy keeps (see `Limits` in @mcproxy/core for what each
 * means and its default). Each hit is answered, logged and counted.
 */
export const limitsSchema = z
  .strictObject({
    clientMessageBytes: limit('clientMessageBytes', 'Largest message a client may send, in bytes: an HTTP body, an SSE POST, a stdio line'),
    upstreamMessageBytes: limit('upstreamMessageBytes', 'Largest message an upstream may send, in bytes: a JSON body, one SSE event, a stdio line'),
    sessions: limit('sessions', 'Client sessions open at once, over every HTTP and SSE face'),
    sessionsPerPrincipal: limit(
      'sessionsPerPrincipal',
      'Of those sessions, the most one authenticated principal may hold (429 past it), so one key cannot fill the pool',
    ),
    listensPerPrincipal: limit('listensPerPrincipal', '2026-07-28 subscriptions/listen streams one authenticated principal may hold open on one face'),
    requestsPerSession: limit('requestsPerSession', 'Requests one session may have in flight at once'),
    connections: limit('connections', 'TCP connections one listening server keeps at once'),
    headersTimeoutMs: limit('headersTimeoutMs', "Milliseconds for a client to send a request's headers"),
    bodyTimeoutMs: limit('bodyTimeoutMs', 'Milliseconds for a client to send a whole request body'),
    connectionIdleMs: limit('connectionIdleMs', 'A kept-alive connection with no request in progress is closed after this many milliseconds'),
    perSessionChildren: limit(
      'perSessionChildren',
      'Child processes one command upstream may run at once: one per session (per-session), or one per principal (shared, with auth)',
    ),
    eventStoreBytes: limit('eventStoreBytes', 'Bytes of events kept for resumption, over all sessions of one HTTP face'),
    sessionIdleMs: limit('sessionIdleMs', 'A session that sends nothing for this many milliseconds is closed'),
    slowReaderBytes: limit('slowReaderBytes', 'Bytes written toward one client and not yet taken; past it the client is cut (it may resume)'),
    parkedCalls: limit('parkedCalls', 'Calls of 2025-era upstreams parked at once while 2026-07-28 clients answer input_required rounds'),
    parkedCallMs: limit('parkedCallMs', 'Milliseconds a parked call waits for its client to come back before it is cancelled upstream'),
    parkedCallsPerPrincipal: limit('parkedCallsPerPrincipal', 'Of parkedCalls, how many one principal may hold; unset, a quarter of parkedCalls'),
    bridgeLinks: limit('bridgeLinks', 'Links (child processes, HTTP sessions) the bridge keeps to one 2025-era upstream for 2026-07-28 clients'),
    bridgeLinksPerPrincipal: limit('bridgeLinksPerPrincipal', 'Of bridgeLinks, how many one principal may hold; unset, half of bridgeLinks'),
  })
  .partial()
  .default({})
  .describe('Bounds on what clients and upstreams can make the proxy hold; a hit is answered, logged and counted.');

/** How upstreams that fail are retried: exponential backoff with jitter. */
export const supervisionSchema = z
  .strictObject({
    initialDelayMs: z.number().int().min(0).describe('Milliseconds to wait after the second failure in a row; each further failure doubles it.'),
    maxDelayMs: z.number().int().min(0).describe('The longest wait between attempts, in milliseconds.'),
    stableMs: z.number().int().min(0).describe('A link up this many milliseconds was healthy: the count of failures starts again.'),
  })
  .partial()
  .refine((s) => s.initialDelayMs === undefined || s.maxDelayMs === undefined || s.maxDelayMs >= s.initialDelayMs, 'maxDelayMs must be at least initialDelayMs')
  .default({})
  .describe('How upstreams that fail are retried: exponential backoff with jitter; while one waits, calls to it fail at once with the reason.');
