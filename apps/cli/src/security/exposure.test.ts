import { ConfigError, type Logger } from '@mcproxy/core';
import { describe, expect, it } from 'vitest';
import { checkExposure } from './exposure.js';

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (_o, m) => lines.push(m ?? ''), child: () => log };
  return { log, lines };
}

const keys = { apiKeys: [{ id: 'ci', key: 'k'.repeat(20), scopes: [] }], allowUnauthenticated: false };
const open = { allowUnauthenticated: true };

describe('checkExposure', () => {
  it('is quiet for loopback binds, with or without auth', () => {
    const { log, lines } = capture();
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(checkExposure(host, 'http', undefined, log)).toBe(false);
    expect(lines).toEqual([]);
  });

  it('refuses any other bind without auth, naming the face, the host and the ways out', () => {
    const { log } = capture();
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'mcp.internal.example']) {
      expect(() => checkExposure(host, 'sse', undefined, log)).toThrow(ConfigError);
    }
    expect(() => checkExposure('0.0.0.0', 'http', undefined, log)).toThrow(/serve\.http\.host is 0\.0\.0\.0.*no auth section.*allowUnauthenticated: true/);
  });

  it('tells a command-line user which flags to change, since there is no file with an auth section to edit', () => {
    const { log } = capture();
    expect(() => checkExposure('0.0.0.0', 'http', undefined, log, 'command line')).toThrow(
      /^--host 0\.0\.0\.0 is reachable beyond this machine.*Leave out --host.*--config <file>$/,
    );
    expect(() => checkExposure('0.0.0.0', 'http', undefined, log, 'command line')).not.toThrow(/no auth section/);
  });

  it('lets an authenticated face bind anywhere, and an explicitly open one with a warning', () => {
    const { log, lines } = capture();
    expect(checkExposure('0.0.0.0', 'http', keys, log)).toBe(false);
    expect(lines).toEqual([]);
    expect(checkExposure('0.0.0.0', 'http', open, log)).toBe(true);
    expect(lines[0]).toMatch(/0\.0\.0\.0.*without authentication/);
  });
});
