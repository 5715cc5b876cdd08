import type { AuthCaseRow } from '../cases/auth-case.js';
import { measured, type TargetFigures } from './figures.js';
import { fmt } from '../cases/stats.js';
import { notAvailable, row, signed } from './table.js';
import { AUTH_TARGETS, type TargetKey } from '../targets/targets.js';

/**
 * What authentication costs per request: each target with `auth:` against
 * `mcproxy-stdio`, the same proxy and upstream without it. Empty when no
 * auth target was in the run.
 */
export function renderAuth(targets: TargetFigures[], inProcess?: AuthCaseRow[]): string {
  const authed = targets.filter((t) => AUTH_TARGETS.has(t.key));
  if (authed.length === 0) return '';
  const by = (k: TargetKey): TargetFigures | undefined => targets.find((t) => t.key === k);
  const base = by('mcproxy-stdio');
  const ok = measured(base);
  let s = '\nAuthentication per request (every request carries `Authorization: Bearer …`), against mcproxy HTTP → stdio without `auth`:\n\n';
  s += row(['target', 'req/s', '× no auth', 'CPU µs/req', 'Δ CPU µs/req', 'seq p50 ms', 'Δ seq p50 ms', 'errors']);
  s += row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']);
  if (ok) s += row([`${base.label} (no auth)`, fmt(base.reqPerSec, 0), '1.00', fmt(base.cpuUsPerReq, 0), '0', fmt(base.seqP50, 3), '0', String(base.problems)]);
  for (const t of authed) {
    if (t.unavailable !== undefined) {
      s += row([t.label, notAvailable(t.unavailable), '', '', '', '', '', '']);
      continue;
    }
    s += row([
      t.label,
      fmt(t.reqPerSec, 0),
      ok ? fmt(t.reqPerSec / base.reqPerSec, 2) : 'not measured',
      fmt(t.cpuUsPerReq, 0),
      ok ? signed(t.cpuUsPerReq - base.cpuUsPerReq, 0) : '',
      fmt(t.seqP50, 3),
      ok ? signed(t.seqP50 - base.seqP50, 3) : '',
      String(t.problems),
    ]);
  }
  if (inProcess !== undefined) {
    s += '\n`authenticate()` alone, in the bench process (each way one after the other, after a warm-up):\n\n';
    s += row(['credential', 'µs per request', 'CPU µs per request']);
    s += row(['---', '---:', '---:']);
    for (const r of inProcess) s += row([r.label, fmt(r.usPerCall, 2), fmt(r.cpuUsPerCall, 2)]);
  }
  return s;
}
