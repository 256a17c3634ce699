/**
 * The whole AWS side of the OCR worker on local emulators behind one endpoint (job table, OCR and
 * results queues with DLQs, raw and artifacts buckets), and demo receipts submitted to it: what
 * `scripts/dev-emulators.ts` runs and the worker's end-to-end tests use.
 *
 * @example
 * ```ts
 * import { startEmulatorStack, submitDemoReceipts } from '@receiptflow/devkit/dev-stack';
 *
 * const stack = await startEmulatorStack({ port: 4566 });
 * const submitted = await submitDemoReceipts(stack, 3);
 * console.log(`receipt-ocr ${stack.workerFlags().join(' ')} --engine tesseract`);
 * // ... run the worker, then read the jobs of `submitted` ...
 * await stack.stop();
 * ```
 * @packageDocumentation
 */
export { startEmulatorStack, type EmulatorStack, type EmulatorStackOptions } from './emulator-stack.js';
export { startEmulatorGateway, type EmulatorGateway, type EmulatorGatewayConfig } from './emulator-gateway.js';
export { submitDemoReceipts, type SubmittedReceipt } from './submit-demo-receipts.js';
