import {
  DEFAULT_OWNER,
  recoverUnfinishedWork,
  runOcrJob,
  submitJob,
  type ChangeRecord,
  type Collection,
  type Logger,
  type SubmitJobResult,
} from '@receiptflow/core';
import { HnswVectorIndex, yieldToEventLoop } from '@receiptflow/adapters-local';
import { Worker } from '@receiptflow/worker';
import type { Container } from 'inversify';
import {
  compactionHandlerFrom,
  processOcrResultsHandlerFrom,
  recoveryDepsFrom,
  streamProcessorFrom,
  submitDepsFrom,
  localApiHandlerFrom,
} from '../container/handler-factories.js';
import { createLocalContainer } from '../container/local-module.js';
import type { MetricsFor } from '../container/tokens.js';
import { ApiKeyAuth, type ApiKeyEntry } from '../http/api-key-auth.js';
import { openLocalAdapters, type LocalAdapterOptions, type LocalAdapters } from './local-adapters.js';
import { PrefetchingOcrEngine } from './ocr-prefetch.js';
import { pumpQueue } from './queue-pump.js';

export interface LocalRuntimeOptions extends LocalAdapterOptions {
  logger: Logger;
  /**
   * The accepted bearer tokens: SHA-256 hashes (DEFAULT_OWNER's keys) or `{ owner, sha256 }`;
   * none = open (loopback only), every request DEFAULT_OWNER's.
   */
  apiKeySha256?: readonly (string | ApiKeyEntry)[];
  /**
   * The owners whose keys may call the pipeline routes. Default: the owners of the accepted
   * keys (`receipts serve --token T [--owner NAME]`: that owner), or DEFAULT_OWNER in open
   * loopback mode, where anyone on the machine is the operator anyway.
   */
  operators?: readonly string[];
  /**
   * OCR jobs at once. Default: `ocrWorkers` (one job per tesseract worker; `receipts serve
   * --ocr-workers N` sets only that), else 1.
   */
  ocrConcurrency?: number;
  /**
   * Checkpoint the vector index once its log holds this many operations (about two per
   * receipt), so that a restart replays a short log tail instead of rebuilding the index.
   * Default 200.
   */
  checkpointEveryOps?: number;
  /** ...or once this long has passed with any operations logged. Default 5 minutes. */
  checkpointIntervalMs?: number;
  /**
   * Background repairs wait while the pipeline has work (an OCR job queued or running, results
   * or merges to process), so they never take CPU from tesseract's threads; past this many
   * unlinked vectors in a collection the pipeline queries (`lines`) they run anyway, a step at
   * a time, on that collection only. Why a bound: compaction appends vectors unlinked and every
   * query scans them exactly until they are linked (about 1 ms of CPU a query per 1,000 at 512
   * dimensions), so this bounds what the hot path's queries pay. Default 1,000 (about 25
   * receipts' lines); the index's own `maxUnlinked` links inside the merge past its bound. The
   * other collections (`words`, ~88% of a receipt's vectors, never searched by vector on the hot
   * path) wait for an idle pipeline up to the index's `maxUnlinked` for them (openLocalAdapters:
   * 20,000), so a burst of uploads does not link them beside OCR (issue 18, P8).
   */
  repairBacklogLimit?: number;
  /** Metrics per handler (tests capture EMF here); none by default. */
  metricsFor?: MetricsFor;
}

const DEFAULT_CHECKPOINT_EVERY_OPS = 200;
const DEFAULT_CHECKPOINT_INTERVAL_MS = 5 * 60_000;
/** Vectors repaired per background step (about 1 ms each at 200k), with a turn of the event loop between steps. */
const REPAIR_STEP = 8;
const DEFAULT_REPAIR_BACKLOG_LIMIT = 1_000;
/**
 * The collections the pipeline searches by vector while it runs (resolve-merchant's memory, the
 * read side's similar receipts): only their backlog is linked while busy. See `repairBacklogLimit`.
 */
const QUERIED_COLLECTIONS: readonly Collection[] = ['lines'];

/** The owners of the accepted keys (a bare hash is DEFAULT_OWNER's); DEFAULT_OWNER when there are none. */
export function localOperators(keys: readonly (string | ApiKeyEntry)[]): string[] {
  if (keys.length === 0) return [DEFAULT_OWNER];
  return [...new Set(keys.map((k) => (typeof k === 'string' ? DEFAULT_OWNER : k.owner)))];
}

/**
 * The whole pipeline in one process on local adapters: the same handlers as in AWS, fed by
 * in-process queues, with the job store's change feed standing in for the DynamoDB stream.
 * `drain()` runs every stage until nothing is left (demo, eval, tests); `start()` runs them in
 * the background (serve).
 */
export class LocalRuntime {
  /** The whole HTTP API (upload, read and change routes), as the AWS functions serve it together. */
  readonly api: ReturnType<typeof localApiHandlerFrom>;
  /** The same handler as {@link api}, by its name from before the read routes existed. */
  readonly upload: ReturnType<typeof localApiHandlerFrom>;
  private readonly results: ReturnType<typeof processOcrResultsHandlerFrom>;
  private readonly stream: ReturnType<typeof streamProcessorFrom>;
  private readonly compaction: ReturnType<typeof compactionHandlerFrom>;
  private readonly changes: ChangeRecord[] = [];
  private changeSeq = 0;
  private readonly unsubscribe: () => void;
  private background: Promise<void>[] = [];
  private ocrWorker: Worker | null = null;
  private stopped = false;
  private lastCheckpointAt = 0;
  /** The OCR stage's engine: the adapters' engine, with reads started ahead by {@link prefetchOcr}. */
  private readonly ocr: PrefetchingOcrEngine;

  private constructor(
    readonly adapters: LocalAdapters,
    readonly container: Container,
    private readonly options: LocalRuntimeOptions,
  ) {
    this.api = localApiHandlerFrom(container, new ApiKeyAuth(options.apiKeySha256 ?? []));
    this.upload = this.api;
    this.results = processOcrResultsHandlerFrom(container);
    this.stream = streamProcessorFrom(container);
    this.compaction = compactionHandlerFrom(container, { fallbackBudgetMs: 600_000 });
    this.ocr = new PrefetchingOcrEngine(adapters.ocr);
    this.unsubscribe = adapters.table.subscribe((change) => this.changes.push(change));
  }

  static async open(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const adapters = await openLocalAdapters(options);
    const container = createLocalContainer(adapters, options.logger, {
      ...(options.metricsFor ? { metricsFor: options.metricsFor } : {}),
      operators: options.operators ?? localOperators(options.apiKeySha256 ?? []),
    });
    const runtime = new LocalRuntime(adapters, container, options);
    await runtime.recover();
    return runtime;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  /** Direct upload, as the upload API does it. */
  async submit(filename: string, contentType: string, body: Uint8Array): Promise<SubmitJobResult> {
    return submitJob(submitDepsFrom(this.container), { filename, contentType, body });
  }

  /**
   * Starts OCR of an image that will be submitted next, so that it runs (in tesseract's worker
   * thread) while this process works through the current receipt's later stages. The OCR job of
   * that image, when its turn comes, takes the prefetched document instead of reading it again;
   * nothing else about the job changes. See {@link processImages}.
   */
  prefetchOcr(bytes: Uint8Array): void {
    this.ocr.prefetch(bytes);
  }

  /** Whether a prefetched OCR read is still running: the main thread would wait for it. */
  get ocrPrefetchRunning(): boolean {
    return this.ocr.inFlight > 0;
  }

  /** Runs every stage until all queues and the change feed are empty. */
  async drain(): Promise<void> {
    for (;;) {
      let work = await this.runOcr(false);
      work += await pumpQueue(this.adapters.resultsQueue, this.results);
      work += await this.pumpStream();
      work += await pumpQueue(this.adapters.compactionQueue, this.compaction);
      if (work > 0) continue;
      if (!(await this.hasMessagesInFlight())) return;
      await this.adapters.clock.sleep(250);
    }
  }

  /** Runs the stages in the background until `stop()`. */
  start(): void {
    this.ocrWorker = this.newOcrWorker(true);
    this.background = [
      this.ocrWorker.run().then(() => undefined),
      this.loop(() => pumpQueue(this.adapters.resultsQueue, this.results, { waitSeconds: 1 })),
      this.loop(() => this.pumpStream()),
      this.loop(() => pumpQueue(this.adapters.compactionQueue, this.compaction, { waitSeconds: 1 })),
      this.loop(() => this.checkpointIfDue()),
      // Small steps: each holds the event loop (and the index's mutation lock) for about 10 ms.
      this.loop(() => this.repairWhenIdle()),
    ];
  }

  /**
   * Stops the background stages after the work in flight, checkpoints the vector index (so the
   * next start loads snapshots instead of replaying the log), then releases resources.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ocrWorker?.stop();
    await Promise.allSettled(this.background);
    this.unsubscribe();
    try {
      await this.checkpoint('stop');
    } finally {
      await this.adapters.close();
    }
  }

  /**
   * Links up to `max` vectors that compaction appended unlinked (HnswVectorIndex.repair): off
   * the hot path, when the process would otherwise wait (processImages while the next image is
   * in OCR; serve's background loop steps through {@link repairWhenIdle} instead). 0 for other
   * indexes.
   */
  async repairVectors(max?: number): Promise<number> {
    const vectors = this.adapters.vectors;
    if (!(vectors instanceof HnswVectorIndex)) return 0;
    return vectors.repair(max);
  }

  /**
   * One background repair step: of any collection when the pipeline is idle; while it is busy,
   * only of a queried collection whose backlog is over `repairBacklogLimit`. Why: on a machine
   * whose cores the OCR workers fill (serve's default), every millisecond of repair on the main
   * thread was taken from OCR; an unlinked vector is already found (queries scan it exactly),
   * the repair links it so queries stop paying for that scan (issue 18, P8 and P2). Before
   * session 12 the limit counted both collections, so a burst's words (which no hot-path query
   * scans) were linked beside OCR too.
   */
  private async repairWhenIdle(): Promise<number> {
    const vectors = this.adapters.vectors;
    if (!(vectors instanceof HnswVectorIndex) || vectors.pendingRepairs === 0) return 0;
    const limit = this.options.repairBacklogLimit ?? DEFAULT_REPAIR_BACKLOG_LIMIT;
    for (const collection of QUERIED_COLLECTIONS) {
      if (vectors.pendingRepairsOf(collection) > limit) return vectors.repair(REPAIR_STEP, collection);
    }
    if (await this.hasMessagesInFlight()) return 0;
    return vectors.repair(REPAIR_STEP);
  }

  /** Checkpoints the persisted vector index if its log has grown enough, or old enough. */
  async checkpointIfDue(): Promise<number> {
    const vectors = this.adapters.vectors;
    if (!(vectors instanceof HnswVectorIndex)) return 0;
    const ops = vectors.opsSinceCheckpoint;
    if (ops === 0) return 0;
    const now = this.adapters.clock.now();
    if (this.lastCheckpointAt === 0) this.lastCheckpointAt = now;
    const every = this.options.checkpointEveryOps ?? DEFAULT_CHECKPOINT_EVERY_OPS;
    const interval = this.options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (ops < every && now - this.lastCheckpointAt < interval) return 0;
    await this.checkpoint(ops >= every ? 'ops' : 'interval');
    return 1;
  }

  private async checkpoint(reason: 'ops' | 'interval' | 'stop'): Promise<void> {
    const vectors = this.adapters.vectors;
    if (!(vectors instanceof HnswVectorIndex) || vectors.opsSinceCheckpoint === 0) return;
    const ops = vectors.opsSinceCheckpoint;
    const started = performance.now();
    // A checkpoint links every unlinked vector first, in one go: do it in steps beforehand.
    while ((await vectors.repair(REPAIR_STEP)) > 0) await yieldToEventLoop();
    await vectors.checkpoint();
    this.lastCheckpointAt = this.adapters.clock.now();
    this.logger.info('vector index checkpointed', {
      reason,
      ops_folded: ops,
      ms: Math.round(performance.now() - started),
    });
  }

  private async loop(step: () => Promise<number>): Promise<void> {
    while (!this.stopped) {
      try {
        // A busy step is followed by a turn of the event loop, not straight by the next step: a
        // step that found its work at hand (repairs, a queued message) resolves without I/O, so
        // back-to-back steps chained as microtasks and held serve's HTTP server for as long as
        // there was work (repairs alone: hundreds of ms; issue 18, P8).
        if ((await step()) === 0) await this.adapters.clock.sleep(100);
        else await yieldToEventLoop();
      } catch (error) {
        this.logger.error('local stage failed', { error: error instanceof Error ? error.message : String(error) });
        await this.adapters.clock.sleep(1000);
      }
    }
  }

  private newOcrWorker(continuous: boolean): Worker {
    const a = this.adapters;
    return new Worker(
      {
        jobs: a.jobs,
        images: a.rawImages,
        artifacts: a.artifacts,
        ocr: this.ocr,
        resultsQueue: a.resultsQueue,
        clock: a.clock,
        ocrQueue: a.ocrQueue,
        logger: this.logger,
        runJob: runOcrJob,
      },
      {
        continuous,
        waitSeconds: continuous ? 1 : 0,
        // Before issue 18 this defaulted to 1: `serve --ocr-workers 2` started two tesseract
        // workers and kept one idle.
        concurrency: this.options.ocrConcurrency ?? this.options.ocrWorkers ?? 1,
        metricsIntervalMs: 600_000,
      },
    );
  }

  private async runOcr(continuous: boolean): Promise<number> {
    const summary = await this.newOcrWorker(continuous).run();
    return summary.jobs_done + summary.jobs_failed + summary.jobs_retried;
  }

  private async pumpStream(): Promise<number> {
    if (this.changes.length === 0) return 0;
    const batch = this.changes.splice(0, 100);
    const items = batch.map((change) => ({ id: String(++this.changeSeq), change }));
    const { batchItemFailures } = await this.stream(items);
    const failedAt = batchItemFailures[0] ? items.findIndex((i) => i.id === batchItemFailures[0]?.itemIdentifier) : -1;
    // Stream semantics: the failed record and everything after it are delivered again.
    if (failedAt >= 0) this.changes.unshift(...batch.slice(failedAt));
    return batch.length;
  }

  private async hasMessagesInFlight(): Promise<boolean> {
    const a = this.adapters;
    for (const queue of [a.ocrQueue, a.resultsQueue, a.compactionQueue]) {
      if ((await queue.backlog()) > 0) return true;
    }
    return this.changes.length > 0;
  }

  /**
   * After a restart the in-process queues and the change feed are empty: every image resumes
   * at its first unfinished step (OCR, results, or a merge), as the job table tells. Every
   * handler is idempotent, so re-sending work that had in fact finished is harmless.
   */
  private async recover(): Promise<void> {
    await recoverUnfinishedWork(recoveryDepsFrom(this.container), {
      now: this.adapters.clock.now(),
      olderThanMs: 0,
      limit: 100_000,
    });
  }
}
