import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

const REDACT = ['headers', '*.headers', 'env', '*.env', 'authorization', '*.authorization', 'req.headers', 'token', '*.token'];

export interface LogOptions {
  /** `pretty` or `json`; unset: pretty when stderr is a terminal, JSON when it is piped. */
  format?: 'pretty' | 'json' | undefined;
}

/** Colour only for a terminal that has not asked for none (NO_COLOR, FORCE_COLOR=0, TERM=dumb). */
function wantsColour(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTTY && env.NO_COLOR === undefined && env.FORCE_COLOR !== '0' && env.TERM !== 'dumb';
}

/**
 * The CLI's logger, always on stderr (stdout may be carrying MCP): readable
 * lines for a person at a terminal, JSON lines for anything reading a pipe.
 * Secrets are redacted before either format sees them, however deep they sit.
 *
 * @example createLog('info', { format: 'json' }).info({ url }, 'proxy ready')
 */
export function createLog(level: string, options: LogOptions = {}): Logger {
  const isTTY = process.stderr.isTTY === true;
  const format = options.format ?? (isTTY ? 'pretty' : 'json');
  const destination: DestinationStream =
    format === 'pretty'
      ? pretty({
          destination: 2,
          sync: true,
          colorize: wantsColour(isTTY, process.env),
          translateTime: 'SYS:HH:MM:ss.l',
          singleLine: true,
          ignore: 'pid,hostname,name',
        })
      : pino.destination({ fd: 2, sync: true });
  return pino({ name: 'mcproxy', level, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}
