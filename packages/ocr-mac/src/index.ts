export * from './errors.js';
export * from './worker/worker.js';
export * from './worker/worker-metrics.js';
export * from './worker/backoff.js';
export * from './worker/heartbeat.js';
export * from './vision/vision-ocr-engine.js';
export * from './logging/stream-logger.js';
export { parseCommandLine, USAGE, DEFAULT_VISION_HELPER, type CliConfig, type CliEnvironment } from './cli/args.js';
export { main, type MainOptions, type SignalSource } from './cli/main.js';
