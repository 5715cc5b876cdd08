import { errorReply, ProxyErrorCode, type Reply } from '@mcproxy/core';
import type { Health } from '../upstreams/health.js';
import type { Kind } from './names.js';
import type { Options } from '../options.js';

const seconds = (ms: number): string => `${Math.max(1, Math.ceil(ms / 1000))} s`;

/**
 * The answer for a name no merged list has, when an upstream whose list
 * this session never got is still starting: that upstream is named, with
 * when it is asked again, rather than "not found" (its tools may well be
 * there once it has started). A name with an upstream's prefix points at
 * that upstream alone. Undefined when nobody is starting, or the prefix is
 * of an upstream whose list is known: then the name is simply not found.
 */
export function startingReply(
  label: 'tool' | 'prompt',
  kind: Kind,
  name: string,
  upstreams: readonly string[],
  health: Health,
  hasList: (kind: Kind, upstream: string) => boolean,
  options: Pick<Options, 'separator'>,
): Reply | undefined {
  // A name with the prefix of an upstream whose list is here is that upstream's, and it has no such item.
  if (upstreams.some((u) => hasList(kind, u) && name.startsWith(`${u}${options.separator}`))) return undefined;
  const starting = upstreams
    .filter((u) => !hasList(kind, u))
    .map((upstream) => ({ upstream, state: health.startingOf(upstream) }))
    .filter((s): s is { upstream: string; state: NonNullable<typeof s.state> } => s.state !== undefined);
  const prefixed = starting.filter((s) => name.startsWith(`${s.upstream}${options.separator}`));
  const meant = prefixed.length > 0 ? prefixed : starting;
  const first = meant[0];
  if (first === undefined) return undefined;
  const Label = label === 'tool' ? 'Tool' : 'Prompt';
  const who = meant.map((s) => `"${s.upstream}"`).join(', ');
  const lead = prefixed.length > 0 ? `${Label} ${name} is not listed yet` : `${Label} ${name} is not in the lists of the upstreams that answered`;
  const retryInMs = Math.min(...meant.map((s) => s.state.retryInMs));
  return errorReply(
    ProxyErrorCode.UpstreamUnavailable,
    `${lead}: upstream${meant.length > 1 ? 's' : ''} ${who} ${meant.length > 1 ? 'are' : 'is'} still starting (${first.state.reason.replace(`upstream "${first.upstream}" `, '')}); asked again in ${seconds(retryInMs)}`,
    { upstream: first.upstream, starting: meant.map((s) => s.upstream), retryInMs },
  );
}
