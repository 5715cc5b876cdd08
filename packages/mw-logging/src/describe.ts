import type { Params } from '@mcproxy/core';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The thing a message is about, for the `name` field: the tool or prompt
 * name, the resource URI, or the completion's ref (its prompt name or
 * template URI). Undefined for messages that name nothing.
 */
export function nameOf(method: string, params: Params | undefined): string | undefined {
  if (params === undefined) return undefined;
  switch (method) {
    case 'tools/call':
    case 'prompts/get':
      return str(params.name);
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
    case 'notifications/resources/updated':
      return str(params.uri);
    case 'completion/complete': {
      const ref = params.ref as Params | undefined;
      return str(ref?.name) ?? str(ref?.uri);
    }
    default:
      return undefined;
  }
}
