import { pino, type Logger } from 'pino';

/**
 * The CLI's logger: JSON lines on stderr (stdout may be carrying MCP), with
 * the places secrets live redacted however deep they sit.
 */
export function createLog(level: string): Logger {
  return pino(
    {
      name: 'mcproxy',
      level,
      redact: {
        paths: ['headers', '*.headers', 'env', '*.env', 'authorization', '*.authorization', 'req.headers', 'token', '*.token'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
