/**
 * Label values are bounded: a scrape must never grow with what clients send.
 * Methods are MCP's own names (anything else is `other`); upstreams are the
 * configured names; tool names appear only when configured, and then at most
 * `maxTools` distinct ones (the rest are `other`). Ids never appear.
 */
const METHODS = new Set([
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'completion/complete',
  'logging/setLevel',
  'subscriptions/listen',
  'tasks/get',
  'tasks/list',
  'tasks/result',
  'tasks/cancel',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
]);

/** The method as a label value: an MCP method, or `other`. */
export const methodLabel = (method: string): string => (METHODS.has(method) ? method : 'other');

/** What a request is about, by method: the tool, prompt or resource it names. */
export function targetOf(method: string, params: Record<string, unknown> | undefined): string | undefined {
  if (params === undefined) return undefined;
  const value = method === 'resources/read' || method.startsWith('resources/s') || method === 'resources/unsubscribe' ? params.uri : params.name;
  return typeof value === 'string' ? value.slice(0, 200) : undefined;
}

/** Tool names as label values, when configured: the first `max` distinct ones seen, `other` after. */
export class ToolLabels {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  of(name: string | undefined): string {
    if (name === undefined) return 'unknown';
    if (this.seen.has(name)) return name;
    if (this.seen.size >= this.max || name.length > 128) return 'other';
    this.seen.add(name);
    return name;
  }
}

/** How a request ended: `ok`, `error` (a JSON-RPC error), or `tool_error` (a tool result with `isError`). */
export type Outcome = 'ok' | 'error' | 'tool_error';

export function outcomeOf(reply: { result?: unknown; error?: unknown } | undefined): Outcome {
  if (reply === undefined || reply.error !== undefined) return 'error';
  const result = reply.result as { isError?: unknown } | undefined;
  return result?.isError === true ? 'tool_error' : 'ok';
}
