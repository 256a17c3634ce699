/**
 * The CLI's building blocks, for tools that parse flags and load catalogs the way `receipts`
 * does (the devkit's bench).
 *
 * @example
 * ```ts
 * import { createLogger, loadCatalog, parseFlags, positiveInt } from '@receiptflow/handlers/cli';
 *
 * const { values } = parseFlags(process.argv.slice(2), { places: { type: 'string' }, n: { type: 'string' } });
 * const catalog = await loadCatalog(values.places ?? 'places.json');
 * const n = positiveInt(values.n, '--n', 10); // core's UsageError naming --n unless a positive integer
 * ```
 * @packageDocumentation
 */
export { parseFlags, positiveInt } from './args.js';
export { loadCatalog } from './catalog.js';
export { createLogger, type ConsoleLoggerOptions } from '../logging.js';
export { startServe, type ServeHandle, type ServeOptions } from './commands/serve.js';
