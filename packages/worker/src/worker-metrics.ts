/** What the worker has done so far; logged periodically and as the final summary line. */
export interface MetricsSnapshot {
  /** Messages settled as done: the job completed now, or had already (redelivery). */
  jobs_done: number;
  /** Of jobs_done, the redeliveries of already-completed jobs (nothing sent again). */
  jobs_duplicate: number;
  /** Poison messages settled to the dead-letter path. */
  jobs_failed: number;
  /** Attempts that failed and were left on the queue for redelivery. */
  jobs_retried: number;
  /** Messages received again after an earlier delivery (receive count > 1). */
  messages_redelivered: number;
  /** Queue polls that failed (and were retried with backoff). */
  receive_errors: number;
  ocr_ms_avg: number | null;
  ocr_ms_max: number | null;
  ocr_ms_total: number;
}

/** Counters of one worker run. */
export class WorkerMetrics {
  done = 0;
  duplicates = 0;
  failed = 0;
  retried = 0;
  redelivered = 0;
  receiveErrors = 0;
  private readonly ocrMs: number[] = [];

  recordOcrMs(ms: number): void {
    this.ocrMs.push(ms);
  }

  snapshot(): MetricsSnapshot {
    const total = this.ocrMs.reduce((sum, ms) => sum + ms, 0);
    return {
      jobs_done: this.done,
      jobs_duplicate: this.duplicates,
      jobs_failed: this.failed,
      jobs_retried: this.retried,
      messages_redelivered: this.redelivered,
      receive_errors: this.receiveErrors,
      ocr_ms_avg: this.ocrMs.length > 0 ? Math.round(total / this.ocrMs.length) : null,
      ocr_ms_max: this.ocrMs.length > 0 ? Math.max(...this.ocrMs) : null,
      ocr_ms_total: total,
    };
  }
}
