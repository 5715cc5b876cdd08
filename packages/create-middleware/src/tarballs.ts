import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** The packages a new middleware installs that are not on npm before mcproxy's first release. */
const FROM_TARBALLS = ['@mcproxy/core', '@mcproxy/test-kit'] as const;

/**
 * `file:` specs for `@mcproxy/core` and `@mcproxy/test-kit`, pointing from the
 * new package's folder `dir` at their tarballs in `folder` (what
 * `scripts/install.mjs` or `pnpm pack` leaves there), for installing before
 * the packages are published. Throws, naming the folder and the file it
 * expected, when one is missing.
 *
 * @example tarballSpecs('/work/mcproxy-tarballs', '/work/my-mw') // { '@mcproxy/core': 'file:../mcproxy-tarballs/mcproxy-core-0.1.0.tgz', … }
 */
export function tarballSpecs(folder: string, dir: string): Record<string, string> {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new Error(`--from ${folder}: no such folder of tarballs`);
  const files = readdirSync(folder);
  const out: Record<string, string> = {};
  for (const name of FROM_TARBALLS) {
    // pnpm and npm pack name a tarball <scope>-<name>-<version>.tgz.
    const stem = `${name.slice(1).replace('/', '-')}-`;
    const found = files.filter((f) => f.startsWith(stem) && /^\d/.test(f.slice(stem.length)) && f.endsWith('.tgz')).sort();
    const file = found[found.length - 1];
    if (file === undefined) throw new Error(`--from ${folder}: no ${stem}<version>.tgz in it (the tarball of ${name})`);
    out[name] = `file:${relative(dir, join(folder, file)).split(sep).join('/')}`;
  }
  return out;
}
