import {
  PoisonMessageError,
  ValidationError,
  runOcrJob,
  type LeasedMessage,
  type Logger,
  type Queue,
  type RunOcrJobDeps,
  type RunOcrJobOutcome,
} from '@receiptflow/core';
import { sleepUnlessAborted, whenAborted } from './abort.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { startHeartbeat } from './heartbeat.js';
import { WorkerMetrics, type MetricsSnapshot } from './worker-metrics.js';

/** The ports the worker needs: those of core's `runOcrJob`, plus the queue it drains. */
export interface WorkerDeps extends RunOcrJobDeps {
  /**
   * `ocr-queue`. Built with its dead-letter queue, so that `deadLetter(reason)` moves a poison
   * message there at once; without one, a poison message is released for the queue's redrive.
   */
  ocrQueue: Queue;
  logger: Logger;
  /** The per-message step; core's `runOcrJob` unless a test scripts it. */
  runJob?: (deps: RunOcrJobDeps, body: string) => Promise<RunOcrJobOutcome>;
}

export interface WorkerOptions {
  /** Keep polling when the queue is empty (default false: drain and return). */
  continuous?: boolean;
  /** Jobs run at once, 1..32 (default 1). */
  concurrency?: number;
  /** Stop after taking this many messages (default: no limit). */
  maxJobs?: number | null;
  /** Long-poll wait per receive, 0..20 s (default 20). */
  waitSeconds?: number;
  /** The lease taken on receive and renewed by the heartbeat every third of it (default 120 s). */
  leaseSeconds?: number;
  backoff?: BackoffPolicy;
  /**
   * A job still running after this long is abandoned (default 10 minutes): its heartbeat stops so
   * the message reappears for another attempt, and its slot is freed. Without it, a download
   * that stalls forever would keep its message invisible forever (docs/lessons.md#lesson-18-a-stalled-copy-held-messages-for-900-s).
   */
  jobTimeoutMs?: number;
  /** Interval of the periodic metrics line in continuous mode (default 60 s). */
  metricsIntervalMs?: number;
  /** Jitter source, injectable for tests (default Math.random). */
  random?: () => number;
}

export type StopReason = 'drained' | 'max-jobs' | 'stopped';

export interface WorkerSummary extends MetricsSnapshot {
  stop_reason: StopReason;
}

/** SQS accepts at most 10 messages per receive. */
const MAX_RECEIVE = 10;

/**
 * The OCR worker loop: leases `ocr-queue` messages, runs each through core's `runOcrJob` with a
 * lease heartbeat, and settles it:
 * - completed or duplicate (already COMPLETED): `ack()`, and only then;
 * - poison (malformed, job or image gone, undecodable image): log it with its id and
 *   `deadLetter(reason)`; if that fails, release it (`retryLater(0)`) so the queue's redrive
 *   policy moves it after maxReceiveCount;
 * - any other error: leave the message to reappear when its lease lapses (maxReceiveCount
 *   eventually dead-letters it). A job abandoned at its deadline is never settled: its lease is
 *   lost, and on SQS a stale lease could still delete the next delivery.
 * The loop never stops for a failed job. Failed polls back off with jitter. `stop()` stops
 * receiving; `run()` resolves once the jobs in flight have finished.
 *
 * @example
 * const worker = new Worker(
 *   { ocrQueue, resultsQueue, jobs, images, artifacts, ocr: new TesseractOcrEngine(), clock, logger },
 *   { continuous: true, concurrency: 2, leaseSeconds: 120 },
 * );
 * process.once('SIGTERM', () => worker.stop());
 * const summary = await worker.run(); // { stop_reason: 'stopped', jobs_done: 12, ... }
 */
export class Worker {
  readonly metrics = new WorkerMetrics();
  private readonly stopController = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private lateReceive: Promise<void> | null = null;
  private readonly opts: Required<Omit<WorkerOptions, 'maxJobs'>> & { maxJobs: number | null };

  constructor(
    private readonly deps: WorkerDeps,
    options: WorkerOptions = {},
  ) {
    this.opts = {
      continuous: options.continuous ?? false,
      concurrency: options.concurrency ?? 1,
      maxJobs: options.maxJobs ?? null,
      waitSeconds: options.waitSeconds ?? 20,
      leaseSeconds: options.leaseSeconds ?? 120,
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      jobTimeoutMs: options.jobTimeoutMs ?? 10 * 60_000,
      metricsIntervalMs: options.metricsIntervalMs ?? 60_000,
      random: options.random ?? Math.random,
    };
    if (!Number.isInteger(this.opts.concurrency) || this.opts.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${this.opts.concurrency}`);
    }
  }

  /** True once `stop()` was called. */
  get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Stops receiving; jobs in flight finish and are settled. Idempotent. */
  stop(): void {
    if (!this.stopping) this.deps.logger.info('stopping: finishing jobs in flight', { in_flight: this.inFlight.size });
    this.stopController.abort();
  }

  /** Runs until drained (not continuous), `maxJobs` taken, or `stop()`. Never rejects for a job. */
  async run(): Promise<WorkerSummary> {
    const { logger } = this.deps;
    const periodic = this.opts.continuous ? this.startPeriodicMetrics() : null;
    logger.info('worker started', {
      queue: this.deps.ocrQueue.name,
      engine: this.deps.ocr.name,
      continuous: this.opts.continuous,
      concurrency: this.opts.concurrency,
      max_jobs: this.opts.maxJobs,
    });
    const stopReason = await this.loop();
    await Promise.all(this.inFlight);
    await this.lateReceive;
    periodic?.abort();
    const summary: WorkerSummary = { stop_reason: stopReason, ...this.metrics.snapshot() };
    logger.info('worker finished', { ...summary });
    return summary;
  }

  private async loop(): Promise<StopReason> {
    let taken = 0;
    let failedPolls = 0;
    for (;;) {
      if (this.stopping) return 'stopped';
      if (this.opts.maxJobs !== null && taken >= this.opts.maxJobs) return 'max-jobs';
      const free = this.opts.concurrency - this.inFlight.size;
      if (free <= 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      const remaining = this.opts.maxJobs === null ? MAX_RECEIVE : this.opts.maxJobs - taken;
      // Never take more than can start now: a message held unstarted would only age.
      const want = Math.min(MAX_RECEIVE, free, remaining);

      let messages: LeasedMessage[] | null;
      try {
        messages = await this.receive(want);
        failedPolls = 0;
      } catch (error) {
        this.metrics.receiveErrors += 1;
        const delayMs = backoffDelayMs(failedPolls, this.opts.backoff, this.opts.random);
        failedPolls += 1;
        this.deps.logger.warn('receive failed; backing off', { error, delay_ms: delayMs, attempt: failedPolls });
        await sleepUnlessAborted((ms, s) => this.deps.clock.sleep(ms, s), delayMs, this.stopController.signal);
        continue;
      }
      if (messages === null) continue; // stopped while polling
      if (messages.length === 0) {
        if (!this.opts.continuous) {
          if (this.inFlight.size === 0) return 'drained';
          // Jobs still running: wait for one, then look again before calling the queue drained.
          await Promise.race(this.inFlight);
        } else if (this.opts.waitSeconds === 0) {
          // Short polling returns at once; without a pause the loop would spin.
          await sleepUnlessAborted((ms, s) => this.deps.clock.sleep(ms, s), 1000, this.stopController.signal);
        }
        continue;
      }
      for (const message of messages) {
        taken += 1;
        const job: Promise<void> = this.handle(message).finally(() => this.inFlight.delete(job));
        this.inFlight.add(job);
      }
    }
  }

  /**
   * One receive, raced against `stop()` so that a long poll does not hold up shutdown. Messages
   * that arrive after the stop are released at once (`retryLater(0)`) for another worker.
   */
  private async receive(maxMessages: number): Promise<LeasedMessage[] | null> {
    const receiving = this.deps.ocrQueue.receive({
      maxMessages,
      waitSeconds: this.opts.waitSeconds,
      leaseSeconds: this.opts.leaseSeconds,
    });
    const aborted = whenAborted(this.stopController.signal);
    try {
      const result = await Promise.race([receiving, aborted.promise.then(() => null)]);
      if (result === null) this.lateReceive = this.releaseLate(receiving);
      return result;
    } finally {
      aborted.dispose();
    }
  }

  private async releaseLate(receiving: Promise<LeasedMessage[]>): Promise<void> {
    let messages: LeasedMessage[];
    try {
      messages = await receiving;
    } catch {
      return; // nothing was received, nothing to release
    }
    for (const message of messages) {
      await message.retryLater(0).catch((error: unknown) => {
        this.deps.logger.warn('could not release a message received during shutdown', {
          message_id: message.id,
          error,
        });
      });
    }
  }

  /** Runs and settles one message. Never rejects. */
  private async handle(message: LeasedMessage): Promise<void> {
    const { logger, clock } = this.deps;
    // Every line about this message names its image and job, as the pipeline's other steps do.
    const fields = { message_id: message.id, ...idsOf(message.body), receive_count: message.receiveCount };
    if (message.receiveCount > 1) this.metrics.redelivered += 1;
    logger.info('job started', fields);

    const heartbeat = startHeartbeat({
      message,
      leaseSeconds: this.opts.leaseSeconds,
      clock,
      logger,
      fields,
    });
    const settled = await this.runWithDeadline(message.body);
    await heartbeat.stop();
    if (settled.kind === 'timeout') {
      this.metrics.retried += 1;
      logger.error('job exceeded its deadline; abandoned, the message will be redelivered', {
        ...fields,
        job_timeout_ms: this.opts.jobTimeoutMs,
      });
      return;
    }
    if (settled.kind === 'error') {
      if (isPoison(settled.error)) {
        await this.settlePoison(message, settled.error, fields);
      } else {
        this.metrics.retried += 1;
        logger.warn('job failed; leaving the message for redelivery', { ...fields, error: settled.error });
      }
      return;
    }
    const outcome = settled.outcome;

    if (outcome.status === 'completed') {
      this.metrics.recordOcrMs(outcome.ocr_ms);
      logger.info('job completed', {
        ...fields,
        job_id: outcome.job_id,
        image_type: outcome.routing.image_type,
        receipt_count: outcome.routing.receipt_count,
        ocr_ms: outcome.ocr_ms,
      });
    } else if (outcome.status === 'no_text') {
      this.metrics.recordOcrMs(outcome.ocr_ms);
      logger.warn('job found no text; the job is FAILED (no text found)', {
        ...fields,
        job_id: outcome.job_id,
        ocr_ms: outcome.ocr_ms,
      });
    } else {
      this.metrics.duplicates += 1;
      logger.info('job already completed; deleting the redelivered message', { ...fields, job_id: outcome.job_id });
    }
    this.metrics.done += 1;
    await this.ack(message, fields);
  }

  private async runWithDeadline(
    body: string,
  ): Promise<{ kind: 'done'; outcome: RunOcrJobOutcome } | { kind: 'error'; error: unknown } | { kind: 'timeout' }> {
    const runJob = this.deps.runJob ?? runOcrJob;
    const timer = new AbortController();
    const job = runJob(this.deps, body).then(
      (outcome) => ({ kind: 'done' as const, outcome }),
      (error: unknown) => ({ kind: 'error' as const, error }),
    );
    const deadline = sleepUnlessAborted(
      (ms, s) => this.deps.clock.sleep(ms, s),
      this.opts.jobTimeoutMs,
      timer.signal,
    ).then(() => ({ kind: 'timeout' as const }));
    try {
      return await Promise.race([job, deadline]);
    } finally {
      timer.abort();
    }
  }

  private async settlePoison(message: LeasedMessage, error: unknown, fields: Record<string, unknown>): Promise<void> {
    const { logger, ocrQueue } = this.deps;
    this.metrics.failed += 1;
    logger.error('poison message skipped', { ...fields, error, dead_letter: `${ocrQueue.name} dead-letter queue` });
    try {
      await message.deadLetter(reasonOf(error));
      return;
    } catch (deadLetterError) {
      logger.warn('could not dead-letter the message; releasing it for the redrive policy', {
        ...fields,
        error: deadLetterError,
      });
    }
    // Visible again at once: each receive counts towards maxReceiveCount, then SQS moves it.
    await message.retryLater(0).catch((releaseError: unknown) => {
      logger.warn('could not release the poison message; it reappears when its lease lapses', {
        ...fields,
        error: releaseError,
      });
    });
  }

  private async ack(message: LeasedMessage, fields: Record<string, unknown>): Promise<void> {
    try {
      await message.ack();
    } catch (error) {
      // Harmless: the redelivered message finds its job COMPLETED and is acked then.
      this.deps.logger.warn('ack failed; the message will be redelivered as a duplicate', { ...fields, error });
    }
  }

  private startPeriodicMetrics(): AbortController {
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.stopController.signal]);
    void (async () => {
      for (;;) {
        await sleepUnlessAborted((ms, s) => this.deps.clock.sleep(ms, s), this.opts.metricsIntervalMs, signal);
        if (signal.aborted) return;
        this.deps.logger.info('worker metrics', { ...this.metrics.snapshot(), in_flight: this.inFlight.size });
      }
    })();
    return controller;
  }
}

/**
 * Poison: can never succeed, so retrying only delays the other messages. Core raises
 * PoisonMessageError for a malformed message or a missing job or image; an engine raises
 * ValidationError for bytes that are not an image. Other errors (including non-retryable ones
 * such as a lost conditional write racing another worker) are left to redelivery, which settles
 * them as duplicates or, after maxReceiveCount, dead-letters them.
 */
function isPoison(error: unknown): boolean {
  return error instanceof PoisonMessageError || error instanceof ValidationError;
}

/** What a dead-lettered message carries as its reason: the error's code and message. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

/** The ids a job message names; null for whichever is missing or when the body is not JSON. */
function idsOf(body: string): { image_id: string | null; job_id: string | null } {
  const ids = { image_id: null as string | null, job_id: null as string | null };
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      const { image_id, job_id } = parsed as Record<string, unknown>;
      if (typeof image_id === 'string') ids.image_id = image_id;
      if (typeof job_id === 'string') ids.job_id = job_id;
    }
  } catch {
    // malformed: logged as such by the caller
  }
  return ids;
}
