/**
 * The operational counts, one name each. CloudWatch receives them as EMF (see
 * docs/operations.md `## Metrics`); the alarms in packages/infra read `Failures` and `RunsAbandoned`.
 * - `ReceiptsProcessed`: receipts written by process-OCR-results (redeliveries of a finished
 *   receipt are not counted again);
 * - `PlacesCalls`: lookups the merchant resolver made to the Places resolver (the cache in
 *   front of Google may answer some);
 * - `MemoryAnswers`: merchants decided by vector memory, with no Places call;
 * - `Failures`: messages, records or requests a function could not finish (retried or not);
 * - `DlqSends`: failed messages on their last receive: the queue's redrive moves them to its
 *   DLQ next;
 * - `RunsAbandoned`: compaction runs' collections marked ABANDONED after their last allowed
 *   attempt: nothing retries them any more.
 */
export const METRIC_NAMES = [
  'ReceiptsProcessed',
  'PlacesCalls',
  'MemoryAnswers',
  'Failures',
  'DlqSends',
  'RunsAbandoned',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/**
 * Counters for one invocation, written out by `flush()`.
 *
 * @example
 * metrics.count('ReceiptsProcessed');
 * metrics.count('PlacesCalls', calls);
 * metrics.flush(); // once, at the end of the invocation
 */
export interface Metrics {
  /** Adds `value` (default 1) to the named count. */
  count(name: MetricName, value?: number): void;
  /** Writes what was counted since the last flush, then starts again from zero. */
  flush(): void;
}

/**
 * Metrics that count nothing, where no metrics are wanted (tests, local tools).
 *
 * @example
 * await processOcrResults({ ...deps, metrics: noopMetrics }, message);
 */
export const noopMetrics: Metrics = {
  count() {},
  flush() {},
};
