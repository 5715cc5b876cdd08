/** An error's message, with the network cause fetch hides in `cause` (ECONNREFUSED and the like) and the HTTP status. */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  const detail = cause instanceof Error ? cause.message : typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  const message = detail === undefined || err.message.includes(detail) ? err.message : `${err.message} (${detail})`;
  // The SDK's HTTP errors carry the status in `code`, and not always in the message.
  const status = (err as { code?: unknown }).code;
  return typeof status === 'number' && !message.includes(String(status)) ? `${message} (HTTP ${status})` : message;
}
