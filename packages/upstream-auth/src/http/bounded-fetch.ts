/** How long and how much the engine waits for an authorization server, and how often it tries. */
export interface HttpLimits {
  /** Per request, headers and body together (10 s by default). */
  timeoutMs: number;
  /** Largest answer read (1 MiB by default); a larger one is refused unread. */
  maxBytes: number;
  /** Tries of a token request when the server is down, slow or 5xx (3 by default). */
  attempts: number;
  /** Waits between tries (200 ms, then 800 ms by default). */
  backoffMs: number[];
}

export const DEFAULT_LIMITS: HttpLimits = { timeoutMs: 10_000, maxBytes: 1024 * 1024, attempts: 3, backoffMs: [200, 800] };

/** An answer larger than the limit: refused, not retried (a server that sends 50 MB once will again). */
export class ResponseTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * `fetch` with a deadline covering the whole exchange and a cap on the bytes
 * read. The answer is read fully (within the cap) and handed on as a new
 * Response, so the SDK's discovery and registration functions, given this as
 * their `fetchFn`, are bounded too.
 */
export function boundedFetch(base: typeof fetch, limits: Pick<HttpLimits, 'timeoutMs' | 'maxBytes'>): typeof fetch {
  return async function bounded(input, init = {}) {
    const timeout = AbortSignal.timeout(limits.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const res = await base(input, { ...init, signal });
    if (Number(res.headers.get('content-length') ?? 0) > limits.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(limits.maxBytes);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body?.getReader();
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limits.maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new ResponseTooLargeError(limits.maxBytes);
        }
        chunks.push(value);
      }
    }
    const body = NULL_BODY.has(res.status) ? null : Buffer.concat(chunks);
    const copy = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    Object.defineProperty(copy, 'url', { value: res.url });
    return copy;
  };
}

/** Why a request failed, in words that carry no secret. */
export function failureReason(err: unknown): string {
  if (err instanceof ResponseTooLargeError) return err.message;
  const name = (err as { name?: unknown })?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'no answer in time';
  const code = (err as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' ? `network error ${code}` : 'network error';
}
