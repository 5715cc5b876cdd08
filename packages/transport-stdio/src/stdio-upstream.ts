import { ConfigError, silentLogger, type Channel, type Logger } from '@mcproxy/core';
import { ChildChannel } from './child-channel.js';
import { DEFAULT_GRACE_MS, track } from './child-registry.js';
import { DEFAULT_MAX_LINE_BYTES } from './json-lines.js';
import { spawnChild } from './spawn-child.js';

export interface StdioUpstreamOptions {
  /** The upstream's name, as in the proxy's config: it names the child in logs and errors. */
  name: string;
  /** The program to run, found on the PATH like a shell would. */
  command: string;
  args?: string[];
  /** Layered over the proxy's own environment, which the child inherits in full. */
  env?: Record<string, string>;
  cwd?: string;
  /** Receives the child's stderr, line by line, and its exit. */
  log?: Logger;
  /** How long the child gets to exit after its stdin closes, and again after SIGTERM. Default 2000 ms. */
  graceMs?: number;
  /** The longest line read from the child's stdout. */
  maxLineBytes?: number;
}

/**
 * Makes the `connect` of an `UpstreamSpec` that runs an MCP server as a
 * child process and speaks to it over its stdin/stdout. Each call spawns a
 * new child (a shared upstream calls it once, a per-session one once per
 * session).
 *
 * The child inherits the proxy's whole environment (PATH, HOME, credentials
 * in variables) with `env` layered on top, as a user starting it from a shell
 * would expect; unlike the MCP SDK, which passes only a short safe list. Its
 * stderr is logged with `log.info({ upstream, stderr })`. If it cannot be
 * spawned, `connect()` rejects with an Error naming the command and why.
 * Closing the channel stops the child (stdin closed, then SIGTERM, then
 * SIGKILL, `graceMs` apart); a child that exits by itself closes the channel,
 * and core fails what was in flight on it. `reapChildren()` stops every child
 * still running, for a clean exit. Bad options throw a `ConfigError` at once.
 *
 * @example
 * const proxy = createProxy({ upstreams: [{
 *   name: 'files', mode: 'shared',
 *   connect: stdioUpstream({ name: 'files', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'], log }),
 * }] });
 */
export function stdioUpstream(options: StdioUpstreamOptions): () => Promise<Channel> {
  const { name, command } = options;
  if (name === '') throw new ConfigError('a stdio upstream needs a name');
  if (command === '') throw new ConfigError(`stdio upstream "${name}" needs a command`);
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  if (!(graceMs >= 0 && Number.isFinite(graceMs))) throw new ConfigError(`stdio upstream "${name}": graceMs must be a number of milliseconds, not ${graceMs}`);
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const log = (options.log ?? silentLogger).child({ upstream: name });
  return async function connectStdio(): Promise<Channel> {
    const child = await spawnChild({ command, args: options.args ?? [], env: options.env, cwd: options.cwd });
    track(child, graceMs);
    // Arguments can carry secrets (--api-key=…): only at debug level.
    log.info({ pid: child.pid, command }, 'upstream process started');
    log.debug({ pid: child.pid, args: options.args ?? [] }, 'upstream process arguments');
    return new ChildChannel(child, { name, log: log.child({ pid: child.pid }), maxLineBytes, graceMs });
  };
}
