import type { z } from 'zod';
import { ConfigError } from '../wire/errors.js';
import type { Logger } from '../wire/logger.js';
import type { Middleware } from './middleware.js';

/** What a middleware factory gets besides its options. */
export interface MiddlewareEnv {
  log: Logger;
}

/**
 * How a pipeline file (or your code) builds a middleware: options in, a named handler out. A
 * package published for mcproxy exports one of these as its default export.
 */
export type MiddlewareFactory = (options: unknown, env: MiddlewareEnv) => Middleware | Promise<Middleware>;

/**
 * Makes a factory that checks its options once, with a zod schema, and throws a `ConfigError`
 * naming each bad option and what was expected; `build` then runs with typed options.
 *
 * @example
 * export default defineMiddleware('stamp', z.object({ key: z.string() }), ({ key }) =>
 *   async function stamp(ctx, next) { return next(); });
 */
export function defineMiddleware<S extends z.ZodType>(
  name: string,
  schema: S,
  build: (options: z.output<S>, env: MiddlewareEnv) => Middleware | Promise<Middleware>,
): MiddlewareFactory {
  return (options, env) => {
    const parsed = schema.safeParse(options ?? {});
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(options)'}: ${i.message}`);
      throw new ConfigError(`invalid options for middleware "${name}":\n${lines.join('\n')}`);
    }
    return build(parsed.data, env);
  };
}
