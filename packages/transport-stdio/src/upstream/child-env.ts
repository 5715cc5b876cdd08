import process from 'node:process';
import { ConfigError } from '@mcproxy/core';

/**
 * What a child sees of the proxy's environment besides its own `env`:
 * `'minimal'` (the default) passes the short list below, `'all'` passes
 * everything, and a list of names passes those on top of the short list.
 */
export type InheritEnv = 'minimal' | 'all' | readonly string[];

/**
 * The variables every child gets, the MCP SDK's `DEFAULT_INHERITED_ENV_VARS`
 * (itself after sudo's default): enough to find programs (`npx` needs PATH and
 * HOME, where npm also reads `.npmrc` with its proxy and CA settings), nothing
 * that usually carries a secret. The SDK's list on purpose (a server that
 * works under another MCP host works here), plus the CA certificate paths.
 */
export const MINIMAL_ENV_NAMES: readonly string[] = [
  ...(process.platform === 'win32'
    ? [
        'APPDATA',
        'HOMEDRIVE',
        'HOMEPATH',
        'LOCALAPPDATA',
        'PATH',
        'PROCESSOR_ARCHITECTURE',
        'SYSTEMDRIVE',
        'SYSTEMROOT',
        'TEMP',
        'USERNAME',
        'USERPROFILE',
        'PROGRAMFILES',
      ]
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER']),
  // Beyond the SDK's list: where trusted CA certificates are. Behind a TLS-inspecting
  // proxy `npx -y some-server` cannot fetch without them, and they name a file, never a secret.
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/** Refuses what cannot be an inheritance rule, at configuration time. */
export function checkInheritEnv(name: string, inherit: InheritEnv | undefined): void {
  if (inherit === undefined || inherit === 'minimal' || inherit === 'all') return;
  if (!Array.isArray(inherit)) throw new ConfigError(`stdio upstream "${name}": inheritEnv must be 'minimal', 'all' or a list of variable names`);
  for (const key of inherit) {
    if (typeof key !== 'string' || key === '' || key.includes('=') || key.includes('\0')) {
      throw new ConfigError(`stdio upstream "${name}": inheritEnv lists ${JSON.stringify(key)}, which is not a variable name`);
    }
  }
}

/**
 * The environment of one child: the inherited part, then its own `env` on
 * top. Inherited values that start with `()` are skipped, as the SDK does:
 * those are exported shell functions (the Shellshock vector). `'all'` passes
 * them as they are, since the user asked for everything.
 */
export function childEnv(inherit: InheritEnv = 'minimal', own: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  if (inherit === 'all') {
    for (const [key, value] of Object.entries(from)) if (value !== undefined) env[key] = value;
  } else {
    const names = inherit === 'minimal' ? MINIMAL_ENV_NAMES : [...MINIMAL_ENV_NAMES, ...inherit];
    for (const key of names) {
      const value = from[key];
      if (value === undefined || value.startsWith('()')) continue;
      env[key] = value;
    }
  }
  return { ...env, ...own };
}
