/**
 * Structured logging; adapters print JSON or pretty lines, tests can collect.
 *
 * @example
 * logger.info('receipt processed', { image_id, receipt_id, lines: 42 });
 * logger.error('ocr failed', { image_id, error: String(error) });
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * A logger that drops every line, for tests and tools that have nothing to say.
 *
 * @example
 * const deps = { ...ports, logger: silentLogger };
 */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * A child logger: every line it writes carries `fields` (a line's own fields win on a clash).
 * Works over any Logger, so the use cases can tag their lines with the ids of the receipt they
 * are about without knowing which adapter prints them.
 *
 * @example
 * const log = withFields(logger, { image_id, job_id });
 * log.info('ocr job completed', { ocr_ms }); // → { image_id, job_id, ocr_ms }
 */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  const merge = (own?: Record<string, unknown>) => (own ? { ...fields, ...own } : fields);
  return {
    debug: (m, f) => logger.debug(m, merge(f)),
    info: (m, f) => logger.info(m, merge(f)),
    warn: (m, f) => logger.warn(m, merge(f)),
    error: (m, f) => logger.error(m, merge(f)),
  };
}
