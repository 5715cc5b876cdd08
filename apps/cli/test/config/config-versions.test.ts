import { describe, expect, it } from 'vitest';
import { MemoryConfigVersions } from '../../src/config/config-versions.js';

describe('MemoryConfigVersions', () => {
  it('holds the configuration applied now, numbered from 1', () => {
    const versions = new MemoryConfigVersions({ port: 1 });
    expect(versions.current()).toEqual({ version: 1, config: { port: 1 } });
    expect(versions.set({ port: 2 })).toEqual({ version: 2, config: { port: 2 } });
    expect(versions.current()).toEqual({ version: 2, config: { port: 2 } });
  });
});
