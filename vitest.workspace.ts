// One vitest project per workspace package; each package's vitest.config.ts
// extends vitest.shared.ts.
export default ['packages/*', 'apps/*'];
