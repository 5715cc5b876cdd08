import { expect } from 'vitest';
import { peakRssMb, type ProxyProcess } from './proxy-process.js';

/**
 * How every attack in these suites ends: the proxy is still up, the witness
 * session saw no failure, and the proxy's peak RSS (VmHWM, so a spike that
 * came and went counts) stayed under `maxRssMb`, when given.
 */
export async function expectSurvived(proxy: ProxyProcess, witness: { stop(): Promise<{ failures: string[] }> }, maxRssMb?: number): Promise<void> {
  expect(proxy.alive(), 'the proxy is still running').toBe(true);
  const { failures } = await witness.stop();
  expect(failures, 'the witness session kept working').toEqual([]);
  if (maxRssMb !== undefined) expect(peakRssMb(proxy.pid), 'peak RSS in MB').toBeLessThan(maxRssMb);
}
