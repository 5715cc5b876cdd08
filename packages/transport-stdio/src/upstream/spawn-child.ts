import type { ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import spawn from 'cross-spawn';

export interface ChildSpec {
  command: string;
  args: readonly string[];
  /** The child's whole environment (see child-env.ts): nothing else is inherited. */
  env: Record<string, string>;
  cwd: string | undefined;
}

/**
 * Spawns `spec` with all three stdio streams piped and resolves once the OS
 * has started it. cross-spawn (what the MCP SDK uses too) makes `npx` and
 * other `.cmd` shims work on Windows; elsewhere it is plain `spawn`.
 */
export async function spawnChild(spec: ChildSpec): Promise<ChildProcess> {
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    shell: false,
    windowsHide: true,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    throw new Error(`could not start "${spec.command}": ${await reason(spec, err)}`, { cause: err });
  }
  return child;
}

/** Says why a spawn failed in words a person can act on; the OS codes alone mislead. */
async function reason(spec: ChildSpec, err: unknown): Promise<string> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  // A missing working directory also comes back as ENOENT, naming the command: look first.
  if ((code === 'ENOENT' || code === 'ENOTDIR') && spec.cwd !== undefined) {
    const dir = await stat(spec.cwd).catch(() => undefined);
    if (dir === undefined) return `the working directory "${spec.cwd}" does not exist`;
    if (!dir.isDirectory()) return `the working directory "${spec.cwd}" is not a directory`;
  }
  if (code === 'ENOENT') return 'command not found (is it installed, and on the PATH?)';
  if (code === 'EACCES') return 'permission denied (is the file executable?)';
  return err instanceof Error ? err.message : String(err);
}
