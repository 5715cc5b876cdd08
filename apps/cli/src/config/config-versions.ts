import type { ConfigVersion, ConfigVersions } from '@mcproxy/core';

/** The applied configuration in memory: the one given at start is version 1. */
export class MemoryConfigVersions<T> implements ConfigVersions<T> {
  private applied: ConfigVersion<T>;

  constructor(first: T) {
    this.applied = { version: 1, config: first };
  }

  current(): ConfigVersion<T> {
    return this.applied;
  }

  set(config: T): ConfigVersion<T> {
    this.applied = { version: this.applied.version + 1, config };
    return this.applied;
  }
}
