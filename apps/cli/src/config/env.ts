import { ConfigError } from '@mcproxy/core';

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$\{/g;

/**
 * Replaces `${VAR}` (and `${VAR:-fallback}`) in every string of a parsed
 * pipeline file with the environment's value; `$${` stands for a literal
 * `${`. An unset variable without a fallback is an error naming it and
 * where it was used. Substitution happens after parsing, so a value can
 * never change the file's structure.
 */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, file: string, path: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(REF, (whole, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const found = env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`${file}: at ${path.join('.') || '(top)'}: environment variable ${name} is not set (used as ${whole})`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, file, [...path, String(i)]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, file, [...path, k])]));
  }
  return value;
}
