import type { Logger } from '@mcproxy/core';

export interface LogLine {
  level: string;
  bindings: Record<string, unknown>;
  obj: object;
  msg: string | undefined;
}

/** A Logger that keeps every line (with its child bindings) for assertions. */
export function recordingLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, bindings, obj, msg });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

/** Everything the log lines say, as text, errors and their causes included (JSON.stringify drops their message). */
export function logText(lines: LogLine[]): string {
  return JSON.stringify(lines, (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack, cause: v.cause } : v));
}
