#!/usr/bin/env node
// Installs mcproxy and the middleware kit from this checkout into a folder of
// your own, the way npm will once they are published: builds the public
// packages with tsc, packs them into <folder>/mcproxy-tarballs, and installs
// those tarballs there with plain npm. Needs only Node and npm.
//
//   node <checkout>/scripts/install.mjs [folder]      default: the current folder
//
// Then, in that folder: `npx mcproxy --example`, and
// `npx create-middleware my-mw --from mcproxy-tarballs` for a middleware package.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildForPacking, Failure, pack, publicPackages, run } from './packs.mjs';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const say = (what) => process.stderr.write(`install: ${what}\n`);

try {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.length > 1 || args[0]?.startsWith('-')) {
    process.stderr.write('usage: node scripts/install.mjs [folder]\n');
    process.exit(2);
  }
  const target = resolve(args[0] ?? '.');
  mkdirSync(target, { recursive: true });
  const packages = publicPackages();
  say(`building ${packages.length} packages in the checkout (tsc; quick when nothing changed)`);
  buildForPacking(packages);
  // Kept beside the install: package.json names them with file: specs, so a later `npm install` there still finds them.
  const dest = join(target, 'mcproxy-tarballs');
  mkdirSync(dest, { recursive: true });
  const tarballs = [...pack(packages, dest).values()];
  say(`packed into ${dest}`);
  if (!existsSync(join(target, 'package.json'))) run(npm, ['init', '-y'], target, 'npm init');
  run(
    npm,
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.map((t) => `./mcproxy-tarballs/${t.slice(dest.length + 1)}`)],
    target,
    'npm install',
  );
  say(`installed ${packages.map(({ pkg }) => pkg.name).join(', ')} in ${target}`);
  process.stdout.write(
    [
      '',
      `Installed in ${target}. From there:`,
      '  npx mcproxy --version',
      '  npx mcproxy --example                                  # the example server behind the proxy, on http://127.0.0.1:8080/mcp',
      '  npx create-middleware my-mw --from mcproxy-tarballs    # a middleware package of your own; then cd my-mw && npm install',
      '',
    ].join('\n'),
  );
} catch (err) {
  process.stderr.write(`install: FAILED: ${err instanceof Failure ? err.message : (err?.stack ?? err)}\n`);
  process.exit(1);
}
