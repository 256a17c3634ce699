export * from './errors.js';
export * from './vision/vision-ocr-engine.js';
export { parseCommandLine, USAGE, DEFAULT_VISION_HELPER, type CliConfig, type CliEnvironment } from './cli/args.js';
export { main, type MainOptions, type SignalSource } from './cli/main.js';
