import { z } from 'zod';

/** The shared store that lets several mcproxy processes (replicas) serve one deployment's clients. */
export const storeSchema = z
  .strictObject({
    redis: z
      .strictObject({
        url: z
          .string()
          .regex(/^rediss?:\/\/[^\s]+$/, 'a redis:// or rediss:// URL')
          .describe('The Redis (7.0 or later) or Valkey server, such as redis://127.0.0.1:6379/0; a password in it is never logged.'),
        keyPrefix: z.string().min(1).max(64).default('mcproxy:').describe('Every key mcproxy writes starts with this (default "mcproxy:").'),
      })
      .describe('A Redis or Valkey server every replica reaches.'),
    advertise: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "Where the other replicas reach this one's MCP face, such as http://10.0.0.5:8080 (default: http://<serve.http.host>:<serve.http.port>, the machine's host name when bound to 0.0.0.0 or ::).",
      ),
    replicaId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, "_", "." and "-"')
      .optional()
      .describe("This replica's name in the store (default: the host name and a random suffix, new at each start)."),
    leaseMs: z
      .number()
      .int()
      .min(500)
      .max(60_000)
      .default(3000)
      .describe('A replica that stops renewing its lease for this long is taken for dead and its sessions are taken over (default 3000).'),
    keyRotationMs: z
      .number()
      .int()
      .min(60_000)
      .default(86_400_000)
      .describe(
        'How long one shared signing key signs (requestStates, task ids, aggregate states) before the next takes over; what it signed opens for at least this long after (default 86400000: a day).',
      ),
    drainDelayMs: z
      .number()
      .int()
      .min(0)
      .max(300_000)
      .default(5000)
      .describe(
        'On SIGTERM, how long /readyz says "draining" (so the load balancer stops sending) before this replica hands its sessions to the others and exits (default 5000).',
      ),
  })
  .describe('Several replicas behind one load balancer: sessions, event streams, keys and rate limits kept in a shared store (off unless given).');

export type StoreConfig = z.output<typeof storeSchema>;
