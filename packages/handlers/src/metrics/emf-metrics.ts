import type { MetricName, Metrics } from '@receiptflow/core';

/** The CloudWatch namespace of receiptflow's metrics unless configured otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'receiptflow';
/** The one dimension: the Lambda function's name, which includes the stack (`receiptflow-dev-upload`). */
export const FUNCTION_DIMENSION = 'Function';

export interface EmfMetricsOptions {
  namespace: string;
  /** The function's name, the value of the `Function` dimension. */
  functionName: string;
  /**
   * Where each EMF document goes, one line each. In Lambda: straight to stdout, not through
   * console.log, which the JSON log format would wrap in its own object and CloudWatch would
   * then not read as EMF.
   */
  write: (line: string) => void;
  /** Epoch ms for `_aws.Timestamp`. */
  now?: () => number;
}

/**
 * The Metrics port as CloudWatch Embedded Metric Format: `flush()` writes one JSON document
 * holding every count made since the last flush (zeros included, so that alarms see real
 * zeros rather than missing data), under one dimension set `[Function]`. Nothing counted,
 * nothing written. Written by hand rather than with @aws-lambda-powertools/metrics: see
 * docs/operations.md `## Metrics` for the init-time figures behind that choice.
 *
 * @example
 * const metrics = new EmfMetrics({ namespace: 'receiptflow', functionName: 'receiptflow-dev-upload', write: (l) => process.stdout.write(`${l}\n`) });
 * metrics.count('Failures', 0);
 * metrics.flush(); // {"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":"receiptflow","Dimensions":[["Function"]],"Metrics":[{"Name":"Failures","Unit":"Count"}]}]},"Function":"receiptflow-dev-upload","Failures":0}
 */
export class EmfMetrics implements Metrics {
  private counts = new Map<MetricName, number>();
  private readonly now: () => number;

  constructor(private readonly options: EmfMetricsOptions) {
    this.now = options.now ?? Date.now;
  }

  count(name: MetricName, value = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + value);
  }

  flush(): void {
    if (this.counts.size === 0) return;
    const counts = Object.fromEntries(this.counts);
    this.counts = new Map();
    this.options.write(
      JSON.stringify({
        _aws: {
          Timestamp: this.now(),
          CloudWatchMetrics: [
            {
              Namespace: this.options.namespace,
              Dimensions: [[FUNCTION_DIMENSION]],
              Metrics: Object.keys(counts).map((Name) => ({ Name, Unit: 'Count' })),
            },
          ],
        },
        [FUNCTION_DIMENSION]: this.options.functionName,
        ...counts,
      }),
    );
  }
}
