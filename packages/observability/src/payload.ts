import type { Reply } from '@mcproxy/core';
import { pino } from 'pino';

/** What the logging middleware allows to be shown of a payload: its `redact` paths and `maxPayloadBytes`. */
export interface PayloadPolicy {
  redact: readonly string[];
  maxPayloadBytes: number;
}

/**
 * Params and result (or error) for the live tail, redacted exactly as the
 * logging middleware redacts its lines (pino's own redaction, with the same
 * paths: `params.…`, `result.…`, `error.…`), then cut to `maxPayloadBytes`
 * of JSON. Redaction runs on the whole payload, before any cut, so a secret
 * never survives in a fragment. Called for every request while payloads are
 * shown: the last 100 are kept for the dashboard's tail.
 */
export function payloadShower(policy: PayloadPolicy): (params: unknown, reply: Reply | undefined) => unknown {
  let line = '';
  const redactor = pino(
    { redact: { paths: [...policy.redact], censor: '[redacted]' }, base: undefined, timestamp: false },
    {
      write(s: string) {
        line = s;
      },
    },
  );
  return (params, reply) => {
    redactor.info({ params, ...(reply?.error === undefined ? { result: reply?.result } : { error: reply.error }) });
    const { level: _l, ...shown } = JSON.parse(line) as Record<string, unknown>;
    const text = JSON.stringify(shown);
    return text.length <= policy.maxPayloadBytes ? shown : { cut: `${text.slice(0, policy.maxPayloadBytes)}…`, bytes: text.length };
  };
}
