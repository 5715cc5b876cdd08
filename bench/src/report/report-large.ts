import type { LargeResult } from '../cases/large-case.js';
import { fmt } from '../cases/stats.js';
import { row } from './table.js';

/** The large-message case as a table: time, the proxy's peak memory over its payload, and what another session felt. */
export function renderLarge(large: LargeResult | undefined): string {
  if (large === undefined) return '';
  let s = '\nLarge messages (one mcproxy HTTP → stdio; another session calls a second upstream, `small__ping`, in a loop meanwhile):\n\n';
  s += row([
    'exchange',
    'ms',
    'proxy peak RSS over before (MiB)',
    '× payload',
    'other session: calls',
    'p50 ms',
    'longest ms',
    'proxy loop held up, longest ms',
    'answer right',
  ]);
  s += row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']);
  for (const r of large.rows) {
    s += row([
      r.case,
      fmt(r.ms, 0),
      fmt(r.peakMib, 1),
      `${fmt(r.ratio, 2)}×`,
      String(r.pings),
      fmt(r.pingP50, 2),
      fmt(r.pingMax, 1),
      fmt(r.blockedMs, 1),
      r.ok ? 'yes' : 'NO',
    ]);
  }
  s += `\nThe other session with nothing large in flight: p50 ${fmt(large.idlePingP50, 2)} ms, longest ${fmt(large.idlePingMax, 1)} ms.\n`;
  return s;
}
