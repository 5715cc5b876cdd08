import { ConfigError } from '@mcproxy/core';

/**
 * The store's URL as logs and errors may show it: scheme, host, port and
 * database, never a user name or password (`redis://10.0.0.9:6379/0`).
 * Throws `ConfigError` for what is not a redis:// or rediss:// URL; the
 * message shows the URL redacted too.
 */
export function redactedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('the store URL is not a URL: give redis://host:port/db or rediss://host:port/db');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ConfigError(`the store URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
  }
  const db = parsed.pathname.replace(/^\//, '') || '0';
  if (!/^\d+$/.test(db)) throw new ConfigError(`the store URL's database must be a number, not "${db}" (${parsed.protocol}//${parsed.host})`);
  return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}/${db}`;
}

/** How errors and `notReady` name the store: `the session store (redis://host:port/db)`. */
export const storeName = (redacted: string): string => `the session store (${redacted})`;
