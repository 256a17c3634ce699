import type {
  NamedImageStore,
  LeasedMessage,
  OcrJobStore,
  Logger,
  OcrEngine,
  Queue,
  ReceiveOptions,
  RoutingDecision,
  RunOcrJobDeps,
  RunOcrJobOutcome,
} from '@receiptflow/core';
import { FakeClock, InMemoryQueue } from '@receiptflow/adapters-local';
import { Worker, type WorkerOptions } from '../../src/worker.js';

export interface LogEntry {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps its entries for assertions. */
export function collectingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      entries.push({ level, message, fields });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface QueueCall {
  /** `receive`, or a lease's `ack`, `retryLater`, `deadLetter`, `extendLease`. */
  method: string;
  args: unknown[];
}

/**
 * Wraps a queue, recording every receive and every call on the leases it hands out (and letting
 * a test make chosen calls fail by throwing from `intercept`).
 */
export function recordingQueue(
  queue: Queue,
  intercept?: (method: string, args: unknown[]) => void,
): Queue & { calls: QueueCall[] } {
  const calls: QueueCall[] = [];
  const record =
    <A extends unknown[], R>(method: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls.push({ method, args });
      intercept?.(method, args);
      return fn(...args);
    };
  const lease = (m: LeasedMessage): LeasedMessage => ({
    ...m,
    ack: record('ack', () => m.ack()),
    retryLater: record('retryLater', (s: number) => m.retryLater(s)),
    deadLetter: record('deadLetter', (r: string) => m.deadLetter(r)),
    extendLease: record('extendLease', (s: number) => m.extendLease(s)),
  });
  return {
    name: queue.name,
    calls,
    send: (body, options) => queue.send(body, options),
    sendBatch: (bodies) => queue.sendBatch(bodies),
    receive: record('receive', async (options?: ReceiveOptions) => (await queue.receive(options)).map(lease)),
  };
}

/** A completed outcome for a scripted job. */
export function completed(jobId: string, ocrMs = 1200): RunOcrJobOutcome {
  const routing: RoutingDecision = {
    job_id: jobId,
    image_id: `img-${jobId}`,
    image_type: 'NATIVE',
    receipt_count: 1,
    ocr_s3_bucket: 'artifacts',
    ocr_s3_key: `ocr/img-${jobId}/${jobId}.json`,
    engine: 'scripted',
    reason: 'test',
    created_at: '2024-01-01T00:00:00.000Z',
  };
  return { status: 'completed', job_id: jobId, routing, ocr_ms: ocrMs };
}

/** The body core expects on ocr-queue. */
export const jobBody = (jobId: string) => JSON.stringify({ job_id: jobId, image_id: `img-${jobId}` });

export interface Harness {
  clock: FakeClock;
  queue: InMemoryQueue;
  dlq: InMemoryQueue;
  spy: Queue & { calls: QueueCall[] };
  logger: Logger & { entries: LogEntry[] };
  worker(
    runJob: (body: string) => Promise<RunOcrJobOutcome>,
    options?: WorkerOptions,
    extra?: { ocrQueue?: Queue },
  ): Worker;
  /** Calls the recorder saw of one method. */
  callsOf(method: string): unknown[][];
}

/**
 * An ocr-queue in memory (redrive to a DLQ after `maxReceiveCount` receives) on a fake clock,
 * and a Worker whose per-message step is scripted: these tests are about message handling, not
 * OCR, so the ports runOcrJob would use are never touched.
 */
export function harness(maxReceiveCount: number | null = 3): Harness {
  const clock = new FakeClock();
  const dlq = new InMemoryQueue({ name: 'ocr-queue-dlq', clock });
  const queue = new InMemoryQueue({
    name: 'ocr-queue',
    clock,
    visibilityTimeoutSeconds: 30,
    deadLetter: { queue: dlq, ...(maxReceiveCount === null ? {} : { maxReceiveCount }) },
  });
  const spy = recordingQueue(queue);
  const logger = collectingLogger();
  const unused = new Proxy(
    {},
    {
      get: () => {
        throw new Error('the scripted job step must not touch the ports');
      },
    },
  );
  return {
    clock,
    queue,
    dlq,
    spy,
    logger,
    worker(runJob, options = {}, extra = {}) {
      const deps: RunOcrJobDeps = {
        jobs: unused as OcrJobStore,
        images: unused as NamedImageStore,
        artifacts: unused as NamedImageStore,
        ocr: { name: 'scripted', recognize: () => Promise.reject(new Error('unused')) } satisfies OcrEngine,
        resultsQueue: unused as Queue,
        clock,
        logger,
      };
      return new Worker(
        { ...deps, ocrQueue: extra.ocrQueue ?? spy, logger, runJob: (_d, body) => runJob(body) },
        { waitSeconds: 0, leaseSeconds: 30, ...options },
      );
    },
    callsOf: (method) => spy.calls.filter((c) => c.method === method).map((c) => c.args),
  };
}
