export * from './worker.js';
export * from './worker-metrics.js';
export * from './backoff.js';
export * from './heartbeat.js';
export * from './stream-logger.js';
