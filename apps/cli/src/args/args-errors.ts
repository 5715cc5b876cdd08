import { ConfigError } from '@mcproxy/core';
import { nearest } from '../nearest.js';

const SEPARATOR_HINT = '(put the server command after "--": mcproxy --port 8080 -- npx some-server)';

/**
 * What `util.parseArgs` threw, said for a person: Node's own text quotes
 * its advice unevenly and never guesses. An unknown option names the one
 * nearest it; a missing value names the option.
 */
export function explainParseError(err: unknown, options: readonly string[]): ConfigError {
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /^Unknown option '([^']*)'/.exec(message)?.[1] ?? '?';
    const guess = flag.startsWith('--') ? nearest(flag.slice(2).split('=')[0]!, options) : undefined;
    const hint = guess === undefined ? SEPARATOR_HINT : `did you mean --${guess}?`;
    return new ConfigError(`unknown option ${flag}: ${hint}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // Node writes "Option '-p, --port <value>' …": name the long form when there is one.
    const flag = /--[A-Za-z0-9-]+/.exec(message)?.[0] ?? /-[A-Za-z0-9]/.exec(message)?.[0] ?? '?';
    if (message.endsWith('argument missing')) return new ConfigError(`option ${flag} needs a value: ${flag} <value>`);
    if (message.includes('does not take an argument')) return new ConfigError(`option ${flag} takes no value`);
  }
  return new ConfigError(`${message}\n${SEPARATOR_HINT}`);
}
