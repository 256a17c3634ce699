/**
 * The local runtime as a library: what `receipts serve/demo/eval` run, for tools outside this
 * package (the devkit's bench drives it in-process). Lambda bundles never import this entry.
 *
 * @example
 * ```ts
 * import { LocalRuntime, processImage } from '@receiptflow/handlers/local';
 *
 * const runtime = await LocalRuntime.open({ logger, dataDir: '/tmp/rf', ocr });
 * const processed = await processImage(runtime, 'r1.png', bytes); // upload → OCR → results → compaction
 * await runtime.adapters.close();
 * ```
 * @packageDocumentation
 */
export { LocalRuntime, type LocalRuntimeOptions } from './local-runtime.js';
export { processImage, processImages, type ImageInput, type ProcessedImage } from './process-image.js';
export { openLocalAdapters, type LocalAdapterOptions, type LocalAdapters } from './local-adapters.js';
export { createLocalContainer, type LocalModuleOptions } from '../container/local-module.js';
export { compactionHandlerFrom, processOcrResultsHandlerFrom } from '../container/handler-factories.js';
// The HTTP API's pieces, for measuring a route in-process (the bench's GET /receipts).
export { createApiRouter } from '../http/router.js';
export { ApiKeyAuth } from '../http/api-key-auth.js';
export { receiptListRoutes } from '../handlers/receipt-routes.js';
