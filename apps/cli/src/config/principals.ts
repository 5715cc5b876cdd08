import { ConfigError } from '@mcproxy/core';
import { isPrincipalRef } from './when.js';
import type { PipelineFile } from './schema.js';

/** The entry checkPipeline puts first when `auth.unmatched` is `refuse`; loadMiddleware builds core's `refuseUnmatched` from it. */
export const UNMATCHED_GATE = 'refuse-unmatched';

type Entry = PipelineFile['pipeline'][number];

/**
 * One principal of a `when:` as the proxy matches it, `kind:id`. The kind
 * may be written (`api-key:ci`, `jwt:alice`); a bare id is read as the only
 * kind it can be: an API key's id when no `jwt` is configured, a token
 * subject when no API key has that id. When both could be meant, it is
 * refused, since guessing lets a token with `sub: ci` pass for the key `ci`.
 */
function resolve(ref: string, auth: PipelineFile['auth']): string {
  const keys = new Set((auth?.apiKeys ?? []).map((k) => k.id));
  const jwt = auth?.jwt !== undefined;
  if (isPrincipalRef(ref)) {
    const [kind, ...rest] = ref.split(':');
    const id = rest.join(':');
    // A key id may itself contain ":" (`jwt:x` as a key id): then the written form is ambiguous.
    if (keys.has(ref)) throw new Error(`"${ref}" is both the id of an API key and a principal with its kind: write "api-key:${ref}" for the key`);
    if (kind === 'api-key' && !keys.has(id)) throw new Error(`no API key has the id "${id}" (auth.apiKeys)`);
    if (kind === 'jwt' && !jwt) throw new Error(`"${ref}" names a token subject, but auth has no jwt section`);
    return ref;
  }
  if (keys.has(ref) && jwt) throw new Error(`"${ref}" could be the API key "${ref}" or a token with sub "${ref}": write "api-key:${ref}" or "jwt:${ref}"`);
  if (keys.has(ref)) return `api-key:${ref}`;
  if (jwt) return `jwt:${ref}`;
  if (auth?.apiKeys !== undefined) throw new Error(`no API key has the id "${ref}" (auth.apiKeys)`);
  throw new Error(`"${ref}" names a principal, but the file has no auth section with apiKeys or jwt: nothing would ever match it`);
}

/**
 * The top-level pipeline with every `when.principals` written as the proxy
 * matches it (`api-key:<id>`, `jwt:<sub>`), and, with `auth.unmatched:
 * refuse`, the gate that refuses principals no `when:` names put first.
 * Errors name the file and the entry.
 */
export function resolvePrincipals(file: string, pipeline: readonly Entry[], auth: PipelineFile['auth'], at = 'pipeline'): Entry[] {
  const out = pipeline.map((entry, i) => {
    if (entry.use === UNMATCHED_GATE)
      throw new ConfigError(
        `invalid pipeline file ${file}:\n  at ${at}[${i}].use: "${UNMATCHED_GATE}" is not a middleware to write; say auth: { unmatched: refuse }`,
      );
    const principals = entry.when?.principals;
    if (principals === undefined) return entry;
    const resolved = principals.map((ref, j) => {
      try {
        return resolve(ref, auth);
      } catch (err) {
        throw new ConfigError(`invalid pipeline file ${file}:\n  at ${at}[${i}].when.principals[${j}]: ${(err as Error).message}`);
      }
    });
    return { ...entry, when: { ...entry.when, principals: resolved } };
  });
  if (auth?.unmatched !== 'refuse') return out;
  const whens = out.flatMap((e) => (e.when === undefined ? [] : [e.when]));
  if (whens.length === 0) {
    throw new ConfigError(
      `invalid pipeline file ${file}:\n  at auth.unmatched: "refuse" refuses every principal no when: entry names, and no pipeline entry has when: (add when: entries, or remove unmatched)`,
    );
  }
  return [{ use: UNMATCHED_GATE, with: { whens } }, ...out];
}
