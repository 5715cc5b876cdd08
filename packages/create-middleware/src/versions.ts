import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's folder: `dist/` and `src/` both sit one level below it. */
export const PACKAGE_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

/** The packages a scaffolded middleware depends on; their ranges are this package's own dev dependencies. */
export const TEMPLATE_PACKAGES = ['@mcproxy/core', '@mcproxy/test-kit', '@types/node', 'typescript', 'vitest', 'zod'] as const;
export type TemplatePackage = (typeof TEMPLATE_PACKAGES)[number];

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

/**
 * The version ranges a new middleware gets, read from this package's
 * `devDependencies`, so they are written down once and move with the
 * workspace: publishing turns `workspace:^` into the released `^x.y.z`. Run
 * from a checkout, a `workspace:` range is read off the linked package.
 */
export function templateVersions(dir: string = PACKAGE_DIR): Record<TemplatePackage, string> {
  const dev = (readJson(join(dir, 'package.json')).devDependencies ?? {}) as Record<string, string>;
  const out = {} as Record<TemplatePackage, string>;
  for (const name of TEMPLATE_PACKAGES) {
    const range = dev[name];
    if (range === undefined) throw new Error(`${name} is missing from ${join(dir, 'package.json')} devDependencies`);
    if (!range.startsWith('workspace:')) {
      out[name] = range;
      continue;
    }
    const linked = join(dir, 'node_modules', name, 'package.json');
    if (!existsSync(linked)) throw new Error(`${name} is ${range} and not linked at ${linked}: run pnpm install`);
    out[name] = `^${String(readJson(linked).version)}`;
  }
  return out;
}
