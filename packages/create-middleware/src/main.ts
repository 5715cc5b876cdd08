import { basename, relative, resolve } from 'node:path';
import { scaffold } from './scaffold.js';
import { tarballSpecs } from './tarballs.js';
import { templateVersions } from './versions.js';

const USAGE = `usage: npm create @mcproxy/middleware <name> [folder] [--from <tarballs>]

  name     the npm package name, e.g. my-mw or @me/my-mw
  folder   where to write it (default: the name without its scope)
  --from   a folder with the tarballs of @mcproxy/core and @mcproxy/test-kit
           (scripts/install.mjs leaves them in ./mcproxy-tarballs): they are
           installed from there, for as long as they are not on npm
`;

// A scaffolder talks to a person at a terminal, not over MCP: stdout is theirs.
const say = (text: string): void => void process.stdout.write(text); // lint-allow: a CLI's own output

/**
 * The `create-middleware` command: scaffolds, then says what to do next.
 * Returns the exit code (0 done, 1 refused, 2 usage).
 */
export function main(args: readonly string[], cwd: string): number {
  const rest = args.filter((a) => a !== '--');
  const at = rest.findIndex((a) => a === '--from' || a.startsWith('--from='));
  const from = at < 0 ? undefined : rest[at]!.startsWith('--from=') ? rest[at]!.slice(7) : rest[at + 1];
  if (at >= 0) rest.splice(at, rest[at]!.startsWith('--from=') ? 1 : 2);
  const [name, folder, ...extra] = rest;
  if (at >= 0 && (from === undefined || from === '')) {
    process.stderr.write(`--from needs a folder of tarballs\n${USAGE}`);
    return 2;
  }
  if (name === undefined || name === '-h' || name === '--help' || extra.length > 0) {
    (name === '-h' || name === '--help' ? say : (t: string) => process.stderr.write(t))(USAGE);
    return name === '-h' || name === '--help' ? 0 : 2;
  }
  const dir = resolve(cwd, folder ?? basename(name));
  try {
    const local = from === undefined ? undefined : tarballSpecs(resolve(cwd, from), dir);
    const files = scaffold({ name, dir, versions: templateVersions(), ...(local ? { local } : {}) });
    const where = relative(cwd, dir) || '.';
    say(
      `Created ${name} in ${where}:\n${files.map((f) => `  ${f}`).join('\n')}\n\nNext:\n  cd ${where}\n  npm install\n  npm test\n  npm run build\n\nThen edit src/index.ts, and npm publish when it is ready.\nIn a pipeline file next to where it is installed:\n  pipeline:\n    - use: ${name}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`create-middleware: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
