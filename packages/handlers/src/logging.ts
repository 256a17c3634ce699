import type { Logger } from '@receiptflow/core';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  /** Where lines go; stderr by default so that CLI output on stdout stays clean. */
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

/** JSON lines (CloudWatch-friendly) or short pretty lines for a terminal. */
export function createLogger(options: ConsoleLoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    if (options.format === 'pretty') {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      write(`${level.toUpperCase().padEnd(5)} ${message}${extra}`);
    } else {
      // A log line's stamp is the wall time by definition (CloudWatch orders and queries by it).
      write(JSON.stringify({ time: new Date().toISOString(), level, message, ...options.base, ...fields }));
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
