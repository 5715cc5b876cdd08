import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { PACKAGE_DIR, type TemplatePackage } from './versions.js';

/** npm's rule for a package name: lowercase, URL-safe, optionally scoped. */
const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** Template files npm would drop or misread under their real names. */
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

export interface ScaffoldOptions {
  /** The package name, e.g. `my-mw` or `@me/my-mw`. */
  name: string;
  /** Where to write it; must not exist or be empty. */
  dir: string;
  versions: Record<TemplatePackage, string>;
  /** The template folder (default: the one shipped with this package). */
  templateDir?: string;
  /** Dev dependencies to install from elsewhere (`file:` tarballs), in place of their ranges. */
  local?: Record<string, string>;
}

/** A name the middleware's function can carry: `@me/tag-results` → `tagResults`. */
export function functionName(name: string): string {
  const words = basename(name)
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean);
  const joined = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
  return /^[a-zA-Z_$]/.test(joined) ? joined : `mw${joined}`;
}

/** The package.json of a new middleware: ESM, built with tsc, `@mcproxy/core` as a peer. */
export function packageJson(name: string, v: Record<TemplatePackage, string>, local: Record<string, string> = {}): Record<string, unknown> {
  return {
    name,
    version: '0.1.0',
    description: 'An mcproxy middleware.',
    license: 'MIT',
    type: 'module',
    keywords: ['mcproxy', 'mcproxy-middleware', 'mcp'],
    engines: { node: '>=20' },
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    files: ['dist'],
    scripts: { build: 'tsc', test: 'vitest run', prepack: 'npm run build' },
    peerDependencies: { '@mcproxy/core': v['@mcproxy/core'] },
    dependencies: { zod: v.zod },
    devDependencies: {
      '@mcproxy/core': v['@mcproxy/core'],
      '@mcproxy/test-kit': v['@mcproxy/test-kit'],
      '@types/node': v['@types/node'],
      typescript: v.typescript,
      vitest: v.vitest,
      ...local,
    },
  };
}

function* templateFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* templateFiles(path);
    else yield path;
  }
}

/**
 * Writes a new middleware package into `dir`: package.json, tsconfig, an
 * example in `src/index.ts`, its test with `@mcproxy/test-kit`, a README.
 * Refuses a bad name and a folder that already has files; returns the
 * files written, relative to `dir`.
 */
export function scaffold({ name, dir, versions, templateDir = join(PACKAGE_DIR, 'template'), local }: ScaffoldOptions): string[] {
  if (!PACKAGE_NAME.test(name) || name.length > 214)
    throw new Error(`"${name}" is not a valid npm package name (lowercase letters, digits, - . _ ~, optionally @scope/)`);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0))
    throw new Error(`${dir} already exists and is not empty; pick another folder`);
  const fill = (text: string): string => text.replaceAll('__NAME__', name).replaceAll('__FUNCTION__', functionName(name));
  const written: string[] = [];
  const write = (rel: string, text: string): void => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
    written.push(rel);
  };
  write('package.json', `${JSON.stringify(packageJson(name, versions, local), null, 2)}\n`);
  for (const file of templateFiles(templateDir)) {
    const rel = relative(templateDir, file);
    write(RENAMED[rel] ?? rel, fill(readFileSync(file, 'utf8')));
  }
  return written;
}
