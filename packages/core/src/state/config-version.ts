/** One configuration as applied, and its number: 1 for the first, one more for each after it. */
export interface ConfigVersion<T> {
  readonly version: number;
  readonly config: T;
}

/**
 * Which configuration a running proxy has applied. Owned by whatever applies configurations (the
 * CLI: its start and each reload that succeeds); it lives as long as the proxy runs and holds only
 * the current one. A reload reads it to see what changed, and sets it once applied. The default,
 * `MemoryConfigVersions`, is the CLI's.
 */
export interface ConfigVersions<T> {
  current(): ConfigVersion<T>;
  /** Records `config` as applied, under the next version. */
  set(config: T): ConfigVersion<T>;
}
