import { ConfigError } from '../errors.js';
import { deterministicRunId, ocrJobMessage, type OcrJob, type OcrResultsMessage } from '../domain/index.js';
import {
  silentLogger,
  type CompactionRunStore,
  type JobCreatedRange,
  type Logger,
  type OcrJobStore,
  type Queue,
  type QueueBacklog,
  type ReceiptStore,
} from '../ports/index.js';
import { sweepCompactionRuns } from './sweep-compaction-runs.js';

export interface RecoverUnfinishedWorkDeps {
  jobs: OcrJobStore;
  receipts: ReceiptStore;
  runs: CompactionRunStore;
  ocrQueue: Queue;
  resultsQueue: Queue;
  compactionQueue: Queue;
  /** How much waits on ocr-queue; required by `ocrOnlyWhenQueueIdle`. */
  ocrBacklog?: QueueBacklog;
  logger?: Logger;
  /** The artifacts bucket, sent as each re-sent OCR message's `ocr_s3_bucket` (as submitJob does). */
  ocrBucket?: string;
}

export interface RecoverUnfinishedWorkOptions {
  /** Epoch milliseconds. */
  now: number;
  /**
   * Work touched less than this long ago is presumed in flight and left alone. 0 right after a
   * local restart, where the in-process queues lost every message.
   */
  olderThanMs: number;
  /**
   * Only jobs created within this long before `now` are examined, so a sweep of a table that
   * only grows reads a bounded window. Omit to examine every job (a local restart).
   */
  lookbackMs?: number;
  /** At most this many jobs (or runs) examined per stage, default 1000. */
  limit?: number;
  /**
   * Re-send OCR jobs only while ocr-queue is empty. Messages waiting there mean the OCR worker is
   * behind or offline, not that work was lost, and a duplicate would OCR an image twice.
   */
  ocrOnlyWhenQueueIdle?: boolean;
}

/** What a sweep re-sent, by stage, and what it left alone. */
export interface RecoveryReport {
  /** Jobs re-sent to ocr-queue: PENDING or PROCESSING with the image uploaded. */
  ocr: string[];
  /** Jobs whose results message was re-sent: COMPLETED, with a receipt missing, without its place or run, or with its merchant PENDING. */
  results: string[];
  /** `merge` messages re-sent for runs with a collection not COMPLETED. */
  merges: number;
  /** Why a stage or a job was left alone (a sweep never hides what it skipped). */
  skipped: string[];
}

const DEFAULT_LIMIT = 1000;

/**
 * Finds every image whose pipeline stopped short and re-sends the message of its first
 * unfinished step:
 *
 * 1. an uploaded image whose OCR job is PENDING or PROCESSING → `ocr-queue`;
 * 2. a COMPLETED job whose receipt is missing, or has no place, a place whose merchant is
 *    PENDING (Places was down), or no compaction run → `ocr-results-queue` (the results step
 *    resumes from the rows it finds, and retries only the merchant when only it is missing);
 * 3. a compaction run with a collection not COMPLETED → one `merge` per such collection.
 *
 * Every step it re-sends to is idempotent, so re-sending work that was in fact still in flight
 * costs a duplicate, never a second receipt, run or vector. `receipts serve` runs it on start;
 * in AWS a scheduled Lambda runs it every few minutes.
 *
 * @example
 * // After a restart: everything is older than the in-process queues.
 * await recoverUnfinishedWork(deps, { now: clock.now(), olderThanMs: 0 });
 * // A scheduled sweep: leave the last 15 minutes alone, look back 2 hours.
 * await recoverUnfinishedWork(deps, { now, olderThanMs: 900_000, lookbackMs: 7_200_000, ocrOnlyWhenQueueIdle: true });
 */
export async function recoverUnfinishedWork(
  deps: RecoverUnfinishedWorkDeps,
  options: RecoverUnfinishedWorkOptions,
): Promise<RecoveryReport> {
  const logger = deps.logger ?? silentLogger;
  const cutoff = new Date(options.now - options.olderThanMs).toISOString();
  const range: JobCreatedRange = { createdBefore: cutoff };
  if (options.lookbackMs !== undefined) range.createdAfter = new Date(options.now - options.lookbackMs).toISOString();
  const limit = options.limit ?? DEFAULT_LIMIT;
  const report: RecoveryReport = { ocr: [], results: [], merges: 0, skipped: [] };

  await resendOcr(deps, options, { range, cutoff, limit }, report);
  await resendResults(deps, { range, cutoff, limit }, report);

  const merges = await sweepCompactionRuns(
    { runs: deps.runs },
    { olderThanMs: options.olderThanMs, now: options.now, limit },
  );
  if (merges.length > 0) await deps.compactionQueue.sendBatch(merges.map((m) => JSON.stringify(m)));
  report.merges = merges.length;

  if (report.ocr.length + report.results.length + report.merges > 0) {
    logger.info('re-sent unfinished work', {
      ocr: report.ocr.length,
      results: report.results.length,
      merges: report.merges,
    });
  }
  for (const reason of report.skipped) logger.info('recovery skipped', { reason });
  return report;
}

interface Window {
  range: JobCreatedRange;
  /** ISO: jobs updated at or after this are presumed in flight. */
  cutoff: string;
  limit: number;
}

async function resendOcr(
  deps: RecoverUnfinishedWorkDeps,
  options: RecoverUnfinishedWorkOptions,
  w: Window,
  report: RecoveryReport,
): Promise<void> {
  if (options.ocrOnlyWhenQueueIdle) {
    if (!deps.ocrBacklog) throw new ConfigError('recoverUnfinishedWork: ocrOnlyWhenQueueIdle needs deps.ocrBacklog');
    const waiting = await deps.ocrBacklog.backlog();
    if (waiting > 0) {
      report.skipped.push(`ocr: ${deps.ocrBacklog.name} holds ${waiting} messages; the worker has work`);
      return;
    }
  }
  for (const status of ['PENDING', 'PROCESSING'] as const) {
    for (const job of await settled(deps.jobs, status, w)) {
      const image = await deps.jobs.getImage(job.image_id);
      // A presigned upload whose PUT has not landed is waiting for its client, not stuck.
      if (image?.upload_state !== 'UPLOADED') continue;
      await deps.ocrQueue.send(JSON.stringify(ocrJobMessage(job, deps.ocrBucket)));
      report.ocr.push(job.job_id);
    }
  }
}

async function resendResults(deps: RecoverUnfinishedWorkDeps, w: Window, report: RecoveryReport): Promise<void> {
  for (const job of await settled(deps.jobs, 'COMPLETED', w)) {
    const routing = await deps.jobs.getRoutingDecision(job.job_id);
    // No routing or no text: there is no results step to finish.
    if (!routing || routing.receipt_count === 0) continue;
    if (!(await resultsUnfinished(deps, job, routing.receipt_count))) continue;
    const message: OcrResultsMessage = {
      job_id: job.job_id,
      image_id: job.image_id,
      s3_bucket: routing.ocr_s3_bucket,
      s3_key: routing.ocr_s3_key,
      receipt_count: routing.receipt_count,
    };
    await deps.resultsQueue.send(JSON.stringify(message));
    report.results.push(job.job_id);
  }
}

/** Jobs in `status` inside the window whose last change is older than the cut-off. */
async function settled(jobs: OcrJobStore, status: OcrJob['status'], w: Window): Promise<OcrJob[]> {
  const listed = await jobs.listJobsByStatus(status, w.limit, w.range);
  return listed.filter((job) => job.updated_at < w.cutoff);
}

/**
 * The results step is done when each receipt it makes (ids 1..receipt_count) has its place and
 * this job's compaction run (or was deleted by a person: its tombstone): two keyed reads per
 * receipt, never a read of its lines and words.
 */
async function resultsUnfinished(
  deps: Pick<RecoverUnfinishedWorkDeps, 'jobs' | 'receipts' | 'runs'>,
  job: OcrJob,
  receiptCount: number,
): Promise<boolean> {
  if (!(await deps.jobs.getImage(job.image_id))) return false; // deleted: nothing to finish
  for (let receipt_id = 1; receipt_id <= receiptCount; receipt_id++) {
    const [place, run] = await Promise.all([
      deps.receipts.getPlace(job.image_id, receipt_id),
      deps.runs.get({
        image_id: job.image_id,
        receipt_id,
        run_id: deterministicRunId(job.image_id, receipt_id, job.job_id),
      }),
    ]);
    if (!place || !run || place.merchant_retry?.state === 'PENDING') {
      // A receipt a person deleted is finished: re-sending would only be skipped, every sweep.
      if (await deps.receipts.getTombstone(job.image_id, receipt_id)) continue;
      return true;
    }
  }
  return false;
}
