import { describe, expect, it } from 'vitest';
import type { Logger } from '@mcproxy/core';
import { warnIfExposed } from './exposure.js';

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (_o, m) => lines.push(m ?? ''), child: () => log };
  return { log, lines };
}

describe('warnIfExposed', () => {
  it('is quiet for loopback binds', () => {
    const { log, lines } = capture();
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(warnIfExposed(host, 'http', log)).toBe(false);
    expect(lines).toEqual([]);
  });

  it('warns for any other bind, saying that clients are not authenticated', () => {
    const { log, lines } = capture();
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'mcp.internal.example']) expect(warnIfExposed(host, 'sse', log)).toBe(true);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/0\.0\.0\.0.*does not authenticate clients/);
  });
});
