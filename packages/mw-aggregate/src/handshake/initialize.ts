import { isObject, type Params, type Reply } from '@mcproxy/core';
import type { Options } from '../options.js';

/**
 * The union of capability objects: a capability is declared when at least
 * one upstream declares it, and a flag inside it (`listChanged`,
 * `subscribe`) is true when any upstream's is.
 */
export function unionCapabilities(all: readonly Params[]): Params {
  const out: Params = {};
  for (const caps of all) {
    for (const [name, value] of Object.entries(caps)) {
      const before = out[name];
      if (isObject(value)) out[name] = unionCapabilities(isObject(before) ? [before, value] : [value]);
      else if (typeof value === 'boolean') out[name] = before === true || value;
      else if (before === undefined) out[name] = value;
    }
  }
  return out;
}

/**
 * The proxy's own answer to `initialize`, from the upstreams that answered:
 * the version the client asked for when they all speak it (else the oldest
 * they answered), the union of their capabilities, the proxy's serverInfo,
 * and their instructions each under its upstream's name.
 */
export function mergeInitialize(requested: unknown, answered: ReadonlyArray<readonly [string, Params]>, options: Options): Reply {
  const versions = answered.map(([, r]) => r.protocolVersion).filter((v): v is string => typeof v === 'string');
  const version = typeof requested === 'string' && versions.every((v) => v === requested) ? requested : ([...versions].sort()[0] ?? requested);
  const result: Params = {
    protocolVersion: version,
    capabilities: capabilitiesOf(answered),
    serverInfo: serverInfoOf(options),
  };
  const instructions = instructionsOf(answered, options);
  if (instructions !== undefined) result.instructions = instructions;
  return { result };
}

/** The union of the capabilities the upstreams declared (in `initialize` or `server/discover`). */
export const capabilitiesOf = (answered: ReadonlyArray<readonly [string, Params]>): Params =>
  unionCapabilities(answered.map(([, r]) => (isObject(r.capabilities) ? r.capabilities : {})));

/** Who the proxy says it is: the options' serverInfo, its title only when given. */
export function serverInfoOf(options: Options): Params {
  const { title, ...info } = options.serverInfo;
  return title === undefined ? info : { ...info, title };
}

/** The options' instructions, then each upstream's under its name (alone, without a heading). */
export function instructionsOf(answered: ReadonlyArray<readonly [string, Params]>, options: Options): string | undefined {
  const parts = answered
    .filter(([, r]) => typeof r.instructions === 'string' && r.instructions.trim() !== '')
    .map(([name, r]) => (answered.length === 1 ? String(r.instructions) : `## ${name}\n${String(r.instructions)}`));
  if (options.instructions !== undefined) parts.unshift(options.instructions);
  return parts.length > 0 ? parts.join('\n\n') : undefined;
}
