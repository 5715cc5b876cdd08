import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { ConfigError, type Logger } from '@mcproxy/core';
import type { Pipeline, Upstream } from '../config/schema.js';

/** Every upstream of a pipeline with where it is configured: `gdrive`, or `/steam steam` for a route's. */
export function everyUpstream(pipeline: Pipeline): Array<{ name: string; route: string | undefined; upstream: Upstream }> {
  const top = Object.entries(pipeline.upstreams).map(([name, upstream]) => ({ name, route: undefined, upstream }));
  const routed = Object.entries(pipeline.routes).flatMap(([route, r]) => Object.entries(r.upstreams).map(([name, upstream]) => ({ name, route, upstream })));
  return [...top, ...routed];
}

async function executable(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where `command` would be started from, as the child's spawn would find
 * it: a path (with a slash) from the child's working directory, a bare
 * name on `PATH` (with `PATHEXT` on Windows); undefined when nothing runs.
 */
export async function resolveCommand(command: string, cwd: string, path: string | undefined): Promise<string | undefined> {
  if (isAbsolute(command) || command.includes('/') || command.includes('\\')) {
    const file = resolve(cwd, command);
    return (await executable(file)) ? file : undefined;
  }
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const ext of exts) {
      const file = join(dir, command + ext);
      if (await executable(file)) return file;
    }
  }
  return undefined;
}

/** Whether something accepts TCP connections at the URL's host and port within `ms` (no HTTP is sent). */
export function reachable(url: string, ms = 3000): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((done) => {
    const socket = connect({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(ms, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** An unreachable URL upstream marked `required: true`: the proxy does not start (exit 1). */
export class RequiredUpstreamDown extends Error {}

/**
 * Checks a pipeline against the machine before anything is served (at
 * startup, and for a reload before it is applied): every command must
 * resolve (else a `ConfigError` naming the upstream and the command); every
 * URL upstream is probed, a down one is a warning, or an error when it is
 * `required`. Returns what logs one line per upstream with its state.
 */
export async function preflight(pipeline: Pipeline, log: Logger): Promise<() => void> {
  const all = everyUpstream(pipeline);
  const missing: string[] = [];
  const down: string[] = [];
  // The lines wait until the faces listen: a port that is taken then says so alone, in one sentence.
  const lines: Array<() => void> = [];
  await Promise.all(
    all.map(async ({ name, route, upstream }) => {
      const where = route === undefined ? { upstream: name } : { route, upstream: name };
      if ('command' in upstream) {
        const cwd = upstream.cwd === undefined ? pipeline.baseDir : resolve(pipeline.baseDir, upstream.cwd);
        const found = await resolveCommand(upstream.command, cwd, upstream.env.PATH ?? process.env.PATH);
        if (found === undefined)
          missing.push(
            `${route === undefined ? '' : `routes.${route}.`}upstreams.${name}: the command "${upstream.command}" was not found${upstream.command.includes('/') ? ` (from ${cwd})` : ' on the PATH'}`,
          );
        else lines.push(() => log.info({ ...where, command: found, state: 'command found' }, `upstream ${name}: ${found}`));
        return;
      }
      const origin = new URL(upstream.url).origin;
      if (await reachable(upstream.url)) {
        lines.push(() => log.info({ ...where, url: origin, state: 'reachable' }, `upstream ${name}: ${origin} is reachable`));
        return;
      }
      if (upstream.required === true) down.push(`upstream "${name}" (${origin}) is required and cannot be reached`);
      else
        lines.push(() =>
          log.warn({ ...where, url: origin, state: 'unreachable' }, `upstream ${name}: ${origin} cannot be reached now; calls to it fail until it is up`),
        );
    }),
  );
  if (missing.length > 0)
    throw new ConfigError(`cannot start ${missing.length === 1 ? 'an upstream' : `${missing.length} upstreams`}:\n  at ${missing.sort().join('\n  at ')}`);
  if (down.length > 0) throw new RequiredUpstreamDown(down.join('; '));
  return () => {
    for (const line of lines) line();
  };
}
