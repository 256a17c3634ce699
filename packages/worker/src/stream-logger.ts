import type { Logger } from '@receiptflow/core';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where log lines go: anything with a `write(string)`, such as process.stdout. */
export interface LogSink {
  write(line: string): unknown;
}

export interface StreamLoggerConfig {
  format: LogFormat;
  sink: LogSink;
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Timestamp source; the worker passes its Clock so that tests can pin time. */
  now?: () => number;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The Logger port printing one line per entry: JSON (for log shippers, `jq`) or a short
 * human-readable form. Error values in fields are flattened to name/code/message so that they
 * survive JSON.stringify (an Error's own properties are not enumerable).
 */
export class StreamLogger implements Logger {
  private readonly minLevel: number;
  private readonly now: () => number;

  constructor(private readonly config: StreamLoggerConfig) {
    this.minLevel = LEVELS[config.level ?? 'info'];
    // A log line's stamp is the wall time by definition, whatever clock the jobs run on.
    this.now = config.now ?? (() => Date.now());
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }

  private log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (LEVELS[level] < this.minLevel) return;
    const time = new Date(this.now()).toISOString();
    const flat = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, flatten(v)]));
    if (this.config.format === 'json') {
      this.config.sink.write(`${JSON.stringify({ time, level, msg: message, ...flat })}\n`);
      return;
    }
    const extras = Object.entries(flat)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const line = `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${message}`;
    this.config.sink.write(`${extras ? `${line} ${extras}` : line}\n`);
  }
}

function flatten(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { name: value.name, ...(code === undefined ? {} : { code }), message: value.message };
}
