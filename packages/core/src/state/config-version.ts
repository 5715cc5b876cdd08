/** One configuration as applied, and its number: 1 for the first, one more for each after it. */
export interface ConfigVersion<T> {
  readonly version: number;
  readonly config: T;
}

/**
 * Which configuration a running proxy has applied. Owned by whatever
 * applies configurations (the CLI: its start and each reload that
 * succeeds); it lives as long as the proxy runs and holds only the current
 * one. A reload reads it to see what changed, and sets it once applied.
 */
export interface ConfigVersions<T> {
  current(): ConfigVersion<T>;
  /** Records `config` as applied, under the next version. */
  set(config: T): ConfigVersion<T>;
}

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
