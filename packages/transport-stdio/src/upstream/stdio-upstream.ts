import { bindOnce, ConfigError, LimitReporter, resolveLimits, silentLogger, type Channel, type Limits, type Logger } from '@mcproxy/core';
import { checkInheritEnv, childEnv, type InheritEnv } from './child-env.js';
import { ChildChannel } from './child-channel.js';
import { DEFAULT_GRACE_MS, track } from './child-registry.js';
import { spawnChild } from './spawn-child.js';

export interface StdioUpstreamOptions {
  /** The upstream's name, as in the proxy's config: it names the child in logs and errors. */
  name: string;
  /** The program to run, found on the PATH like a shell would. */
  command: string;
  args?: string[];
  /** The child's own variables, layered over what it inherits (see `inheritEnv`). */
  env?: Record<string, string>;
  /**
   * What the child inherits of the proxy's environment: `'minimal'` (the
   * default) passes only HOME, LOGNAME, PATH, SHELL, TERM and USER (on
   * Windows the SDK's list of twelve), a list of names passes those as well,
   * `'all'` passes everything. Secrets meant for one upstream stay there.
   */
  inheritEnv?: InheritEnv;
  cwd?: string;
  /** Receives the child's stderr, line by line, and its exit. */
  log?: Logger;
  /** How long the child gets to exit after its stdin closes, and again after SIGTERM. Default 2000 ms. */
  graceMs?: number;
  /** The proxy's limits; this link reads `upstreamMessageBytes`. Defaults: `resolveLimits()`. */
  limits?: Partial<Limits>;
  /** Counts and logs limit hits; by default one of its own on `log`. */
  limitReporter?: LimitReporter;
  /** The longest line read from the child's stdout; overrides `limits.upstreamMessageBytes`. */
  maxLineBytes?: number;
}

/**
 * Makes the `connect` of an `UpstreamSpec` that runs an MCP server as a
 * child process and speaks to it over its stdin/stdout. Each call spawns a
 * new child (a shared upstream calls it once, a per-session one once per
 * session).
 *
 * The child gets its own `env` over a short safe part of the proxy's
 * environment, as with the MCP SDK (`inheritEnv` passes more), so a token
 * set for one upstream is not readable by every other. Its stderr is logged
 * with `log.info({ upstream, stderr })`. If it cannot be spawned, `connect()`
 * rejects with an Error naming the command and why. Closing the channel
 * stops the child (stdin closed, then SIGTERM, then SIGKILL, `graceMs`
 * apart); a child that exits by itself closes the channel with a reason
 * (exit code or signal, last stderr line) that core puts in the errors of
 * what was in flight, and a send after that rejects with `NotDeliveredError`.
 * A stdout line over `limits.upstreamMessageBytes` is skipped unread and
 * reported. `reapChildren()` stops every child still running, for a clean
 * exit. Bad options throw a `ConfigError` at once.
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
  checkInheritEnv(name, options.inheritEnv);
  const maxLineBytes = options.maxLineBytes ?? resolveLimits(options.limits).upstreamMessageBytes;
  if (!(Number.isInteger(maxLineBytes) && maxLineBytes > 0))
    throw new ConfigError(`stdio upstream "${name}": maxLineBytes must be a whole number of bytes, not ${maxLineBytes}`);
  const log = bindOnce(options.log ?? silentLogger, { upstream: name });
  const reporter = options.limitReporter ?? new LimitReporter(log);
  return async function connectStdio(): Promise<Channel> {
    // Read at each spawn: a variable the proxy sets later (a refreshed token) reaches the next child.
    const env = childEnv(options.inheritEnv, options.env);
    const child = await spawnChild({ command, args: options.args ?? [], env, cwd: options.cwd });
    track(child, graceMs);
    // Arguments can carry secrets (--api-key=…): only at debug level.
    // `childPid`: pino's own `pid` is the proxy's, and a JSON line must not say one key twice.
    log.info({ childPid: child.pid, command }, 'upstream process started');
    log.debug({ childPid: child.pid, args: options.args ?? [] }, 'upstream process arguments');
    return new ChildChannel(child, { name, log: log.child({ childPid: child.pid }), maxLineBytes, reporter, graceMs });
  };
}
