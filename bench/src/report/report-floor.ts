import { fmt } from '../cases/stats.js';
import { measured, type TargetFigures } from './figures.js';
import { row } from './table.js';

/**
 * Every target's CPU per request as a ratio to the floor's (a bare
 * node:http server doing the least one HTTP hop can: read, parse, write), process by
 * process: the front process (the proxy, or a server served directly) apart
 * from what it reaches (upstream servers, a child). Empty when the floor
 * was not measured.
 */
export function renderFloor(targets: TargetFigures[]): string {
  const floor = targets.find((t) => t.key === 'floor');
  if (!measured(floor) || !(floor.frontCpuUsPerReq > 0)) return '';
  let s = `\nCPU per request against the floor (${fmt(floor.frontCpuUsPerReq, 0)} µs/req), process by process:\n\n`;
  s += row(['target', 'front process µs/req', '× floor', 'behind it µs/req', 'all µs/req', 'all × floor']);
  s += row(['---', '---:', '---:', '---:', '---:', '---:']);
  for (const t of targets) {
    if (!measured(t) || t.key === 'floor') continue;
    const behind = t.cpuUsPerReq - t.frontCpuUsPerReq;
    s += row([
      t.label,
      fmt(t.frontCpuUsPerReq, 0),
      `${fmt(t.frontCpuUsPerReq / floor.frontCpuUsPerReq, 2)}×`,
      behind > 0.5 ? fmt(behind, 0) : '–',
      fmt(t.cpuUsPerReq, 0),
      `${fmt(t.cpuUsPerReq / floor.frontCpuUsPerReq, 2)}×`,
    ]);
  }
  return s;
}
