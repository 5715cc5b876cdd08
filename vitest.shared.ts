import { defineConfig } from 'vitest/config';

// In the repo, packages import each other's TypeScript source through the
// `source` export condition, so tests run without a build step.
const conditions = ['source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
