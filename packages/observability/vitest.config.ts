import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// The shared conditions less `module`: vitest hands them to Node as --conditions, and
// OpenTelemetry's packages map `module` to an ESM build for bundlers whose imports
// have no file extensions, which Node cannot load. Node itself never uses `module`.
const conditions = ['@mcproxy/source', 'node', 'import', 'default'];

export default defineConfig({
  ...shared,
  resolve: { ...shared.resolve, conditions },
  ssr: { ...shared.ssr, resolve: { ...shared.ssr?.resolve, conditions } },
});
