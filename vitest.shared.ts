import { defineConfig } from 'vitest/config';

// In the repo, packages import each other's TypeScript source through the
// `@mcproxy/source` export condition, so tests run without a build step. The
// name is ours alone: a plain `source` condition is also used by packages in
// node_modules (eventsource-parser maps it to raw .ts files Node cannot load).
const conditions = ['@mcproxy/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@mcproxy/source'] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
