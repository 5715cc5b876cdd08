import { measured, type TargetFigures } from './figures.js';
import { fmt } from '../cases/stats.js';
import { notAvailable, row, versus } from './table.js';
import { LEGACY_COUNTERPART, MODERN_BASELINE, MODERN_TARGETS, type TargetKey } from '../targets/targets.js';

/**
 * The 2026-07-28 targets against their own baseline, the same v2 SDK server
 * served directly (the main table compares them with `direct`, a different
 * server in a different revision), each beside its 2025 counterpart's
 * figures against `direct`: what the proxy costs in either revision.
 * Empty when no 2026-07-28 target was in the run.
 */
export function renderModern(targets: TargetFigures[]): string {
  const modern = targets.filter((t) => MODERN_TARGETS.has(t.key));
  if (modern.length === 0) return '';
  const by = (k: TargetKey): TargetFigures | undefined => targets.find((t) => t.key === k);
  const base = by(MODERN_BASELINE);
  const legacyBase = by('direct');
  let s = '\n2026-07-28 (stateless: no session, the envelope in every request) against the same server served directly:\n\n';
  s += row([
    'target',
    'req/s',
    `× ${MODERN_BASELINE}`,
    'CPU µs/req',
    'seq p50 ms',
    'Δ seq p50 ms',
    'errors',
    '2025 counterpart',
    'its × direct',
    'its Δ seq p50 ms',
  ]);
  s += row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---:', '---:']);
  for (const t of modern) {
    const counterKey = LEGACY_COUNTERPART[t.key];
    const counter = counterKey === undefined ? undefined : by(counterKey);
    let counterCells = [counter?.label ?? '', 'not measured', ''];
    if (measured(counter) && measured(legacyBase)) {
      const its = versus(counter, legacyBase);
      counterCells = [counter.label, its.times, its.seqP50];
    }
    if (t.unavailable !== undefined) {
      s += row([t.label, notAvailable(t.unavailable), '', '', '', '', '', ...counterCells]);
      continue;
    }
    const against = versus(t, base);
    s += row([t.label, fmt(t.reqPerSec, 0), against.times, fmt(t.cpuUsPerReq, 0), fmt(t.seqP50, 3), against.seqP50, String(t.problems), ...counterCells]);
  }
  return s;
}
