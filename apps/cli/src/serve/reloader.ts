import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError, type Logger } from '@mcproxy/core';
import type { ReloadReport } from './reload.js';
import { RequiredUpstreamDown } from './preflight.js';

/**
 * Runs reloads one at a time: a trigger that comes while one runs is
 * folded into one more run after it (an editor saving twice, SIGHUP during
 * a --watch reload). A file that fails its checks is refused with the same
 * words as at startup and the running configuration stays.
 */
export class Reloader {
  private running: Promise<void> | undefined;
  private again: string | undefined;

  constructor(
    private readonly log: Logger,
    private readonly reload: () => Promise<ReloadReport>,
  ) {}

  /** Asks for a reload; `why` is logged (SIGHUP, a file name). Resolves when it (and any it was folded into) is done. */
  trigger(why: string): Promise<void> {
    if (this.running !== undefined) {
      this.again = why;
      return this.running;
    }
    this.running = this.run(why).finally(() => {
      this.running = undefined;
      const next = this.again;
      this.again = undefined;
      if (next !== undefined) void this.trigger(next);
    });
    return this.running;
  }

  private async run(why: string): Promise<void> {
    const started = performance.now();
    this.log.info({ trigger: why }, 'reloading');
    let report: ReloadReport;
    try {
      report = await this.reload();
    } catch (err) {
      if (err instanceof ConfigError || err instanceof RequiredUpstreamDown) {
        this.log.error({ trigger: why }, `reload refused; the running configuration stays: ${err.message}`);
      } else {
        this.log.error({ err, trigger: why }, 'reload failed; the running configuration stays');
      }
      return;
    }
    const ms = Math.round(performance.now() - started);
    const { changed, routesAdded, routesRemoved, needRestart } = report;
    const nothing = Object.keys(changed).length === 0 && routesAdded.length === 0 && routesRemoved.length === 0;
    this.log.info({ trigger: why, ms, changed, routesAdded, routesRemoved }, nothing ? 'reloaded: no upstream, route or chain changed' : 'reloaded');
    if (needRestart.length > 0) this.log.warn({ settings: needRestart }, 'these settings changed in the file and take effect only at the next start');
    void report.drained.then(
      () => !nothing && this.log.info({ ms: Math.round(performance.now() - started) }, 'reload drained: retired upstreams and routes closed'),
      (err: unknown) => this.log.warn({ err }, 'draining after a reload failed'),
    );
  }
}

/**
 * `--watch`: reloads when the pipeline file or anything in the discovery
 * folder changes. The file's folder is watched (editors often replace a
 * file rather than write it), and events are gathered for a moment.
 */
export function watchForReload(reloader: Reloader, paths: ReadonlyArray<string | undefined>, log: Logger, settleMs = 150): { close(): void } {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const changed = (what: string): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void reloader.trigger(`${what} changed`), settleMs);
  };
  const [file, dir] = paths;
  try {
    if (file !== undefined) {
      const name = basename(file);
      watchers.push(watch(dirname(resolve(file)), (_event, f) => f === name && changed(file)));
    }
    if (dir !== undefined) watchers.push(watch(dir, { recursive: true }, () => changed(dir)));
  } catch (err) {
    log.warn({ err }, '--watch cannot watch these files here; SIGHUP still reloads');
  }
  for (const w of watchers) w.on('error', (err) => log.warn({ err }, 'a watched folder failed; SIGHUP still reloads'));
  if (watchers.length > 0) log.info({ watching: paths.filter((p) => p !== undefined) }, 'reloading on changes');
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
