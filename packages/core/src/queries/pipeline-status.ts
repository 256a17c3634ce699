import * as z from 'zod';
import { schema } from '../schema.js';
import { CollectionSchema } from '../domain/ids.js';
import {
  CompactionMessageSchema,
  OcrJobMessageSchema,
  OcrResultsMessageSchema,
  parseMessageBody,
} from '../domain/messages.js';
import { JobStatusSchema, type JobStatus } from '../domain/ocr-job.js';
import type { CollectionState, CompactionRun } from '../domain/compaction-run.js';
import { ForbiddenError, NotFoundError, PoisonMessageError, ValidationError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { CompactionRunStore } from '../ports/compaction-run-store.js';
import type { DeadLetter, DeadLetterQueue, QueueGauge } from '../ports/dead-letter-queue.js';
import type { OcrJobStore } from '../ports/ocr-job-store.js';

/** The pipeline's three work queues, by the names the API uses. */
export const PipelineQueueNameSchema = /* @__PURE__ */ schema(() => z.enum(['ocr', 'ocr-results', 'compaction']));
export type PipelineQueueName = z.infer<typeof PipelineQueueNameSchema>;
export const PIPELINE_QUEUE_NAMES = PipelineQueueNameSchema.options;

/** Jobs of one status are counted up to this many (`capped` lists the statuses that reached it). */
export const JOB_COUNT_CAP = 10_000;
/** Unfinished compaction runs shown at most, oldest first. */
export const PIPELINE_RUNS_LIMIT = 50;
/** Dead letters listed at most per queue. */
export const DEAD_LETTER_LIST_LIMIT = 50;
/** Characters of a dead letter's body shown. */
export const BODY_PREVIEW_CHARS = 300;

/** One work queue as the pipeline routes see it: the queue and its dead-letter queue. */
export interface PipelineQueue {
  queue: QueueGauge;
  deadLetters: DeadLetterQueue;
}

/** What the pipeline queries read, and who may read them. */
export interface PipelineDeps {
  jobs: Pick<OcrJobStore, 'countJobsByStatus' | 'getJob'>;
  runs: Pick<CompactionRunStore, 'listUnfinished' | 'get'>;
  queues: Record<PipelineQueueName, PipelineQueue>;
  clock: Clock;
  /**
   * The owners whose keys are operators' keys. The pipeline is every owner's at once (queues
   * and jobs are shared), so only operators may see it or redrive it.
   */
  operators: readonly string[];
}

export interface PipelineQueueStatus {
  name: PipelineQueueName;
  /** Messages waiting. */
  depth: number;
  /** Messages received and being worked on. */
  in_flight: number;
  /** Messages in its dead-letter queue. */
  dlq_depth: number;
}

export interface CompactionRunStatus {
  run_id: string;
  image_id: string;
  receipt_id: number;
  job_id: string | null;
  created_at: string;
  lines: { state: CollectionState; attempts: number; error: string | null; updated_at: string };
  words: { state: CollectionState; attempts: number; error: string | null; updated_at: string };
}

export interface PipelineStatus {
  jobs: {
    by_status: Record<JobStatus, number>;
    /** Statuses whose count stopped at {@link JOB_COUNT_CAP}: there are at least that many. */
    capped: JobStatus[];
  };
  queues: PipelineQueueStatus[];
  /** Runs with a collection not COMPLETED (pending, processing, failed or abandoned), oldest first. */
  compaction_runs: CompactionRunStatus[];
}

export interface DeadLetterView {
  message_id: string;
  /** Why it is there: the consumer's reason, else what the records say (see {@link listDeadLetters}). */
  error: string;
  receive_count: number;
  sent_at: string | null;
  body_preview: string;
}

/** Refuses a caller that is not an operator (403 FORBIDDEN). */
export function assertOperator(deps: Pick<PipelineDeps, 'operators'>, caller: string): void {
  if (!deps.operators.includes(caller)) {
    throw new ForbiddenError('the pipeline routes are for operators; this key is not an operator key');
  }
}

/**
 * The pipeline at a glance, for operators: jobs by status (counted through the jobs-by-status
 * index, up to {@link JOB_COUNT_CAP} each), each work queue's depth, in-flight count and DLQ
 * depth, and the compaction runs not finished yet. ForbiddenError for a caller that is not an
 * operator.
 *
 * @example
 * const status = await getPipelineStatus(deps, 'ops');
 * // { jobs: { by_status: { PENDING: 2, PROCESSING: 1, COMPLETED: 40, FAILED: 1 }, capped: [] },
 * //   queues: [{ name: 'ocr', depth: 2, in_flight: 1, dlq_depth: 0 }, ...], compaction_runs: [] }
 */
export async function getPipelineStatus(deps: PipelineDeps, caller: string): Promise<PipelineStatus> {
  assertOperator(deps, caller);
  const statuses = JobStatusSchema.options;
  const counts = await Promise.all(statuses.map((s) => deps.jobs.countJobsByStatus(s, JOB_COUNT_CAP)));
  const queues = await Promise.all(
    PIPELINE_QUEUE_NAMES.map(async (name): Promise<PipelineQueueStatus> => {
      const { queue, deadLetters } = deps.queues[name];
      const [depth, dead] = await Promise.all([queue.depth(), deadLetters.depth()]);
      return { name, depth: depth.visible, in_flight: depth.inFlight, dlq_depth: dead.visible + dead.inFlight };
    }),
  );
  // Every run not finished yet: the unfinished index holds exactly those (no scan).
  const now = new Date(deps.clock.now() + 1).toISOString();
  const runs = await deps.runs.listUnfinished(now, PIPELINE_RUNS_LIMIT);
  return {
    jobs: {
      by_status: Object.fromEntries(statuses.map((s, i) => [s, counts[i]!.count])) as Record<JobStatus, number>,
      capped: statuses.filter((_, i) => counts[i]!.capped),
    },
    queues,
    compaction_runs: runs.map(runStatus),
  };
}

/**
 * The messages in one queue's DLQ (at most `limit`, default {@link DEAD_LETTER_LIST_LIMIT}), each
 * with its error, left in place. The error is the consumer's reason when it dead-lettered the
 * message itself (the OCR worker does); a message the queue moved after too many failed
 * deliveries carries none, so it is explained from what exists: the body does not parse (the
 * same parser the consumer uses says why), the job or run it names does not exist or recorded a
 * failure, or else that no reason was recorded and where to look. NotFoundError for an unknown
 * queue; ForbiddenError for a caller that is not an operator.
 *
 * @example
 * const { messages } = await listDeadLetters(deps, 'ops', 'ocr');
 * // [{ message_id: 'm-1', error: 'ocr-queue message is not JSON: oops', receive_count: 1, sent_at: '…', body_preview: 'oops' }]
 */
export async function listDeadLetters(
  deps: PipelineDeps,
  caller: string,
  queue: string,
  limit = DEAD_LETTER_LIST_LIMIT,
): Promise<{ messages: DeadLetterView[] }> {
  assertOperator(deps, caller);
  const name = queueName(queue);
  const letters = await deps.queues[name].deadLetters.list(limit);
  const messages = await Promise.all(
    letters.map(async (letter): Promise<DeadLetterView> => ({
      message_id: letter.id,
      error: letter.note?.reason ?? (await explainDeadLetter(deps, name, letter)),
      // The source queue's count when the consumer dead-lettered it; else the queue's own.
      receive_count: letter.note?.receiveCount ?? letter.receiveCount,
      sent_at: letter.sentAt,
      body_preview: letter.body.slice(0, BODY_PREVIEW_CHARS),
    })),
  );
  return { messages };
}

/** What `POST /pipeline/dlq/{queue}/redrive` takes: one message by id, or every message. */
export const RedriveRequestSchema = /* @__PURE__ */ schema(() =>
  z.object({ message_id: z.string().min(1).max(200).optional() }).strict(),
);
export type RedriveRequest = z.infer<typeof RedriveRequestSchema>;

/**
 * Sends dead letters back to their work queue: the one named by `message_id`, or all of them.
 * Idempotent: a message already redriven is no longer in the DLQ, so a repeat moves nothing
 * (`redriven: 0`). A redriven message is worked like a new one; the handlers are idempotent, so
 * one that had in fact finished does no harm, and one whose cause is not fixed fails again and
 * comes back. NotFoundError for an unknown queue; ForbiddenError for a caller that is not an operator.
 *
 * @example
 * await redriveDeadLetters(deps, 'ops', 'ocr', { message_id: 'm-1' }); // { redriven: 1 }
 * await redriveDeadLetters(deps, 'ops', 'compaction', {}); // { redriven: 4 }
 */
export async function redriveDeadLetters(
  deps: PipelineDeps,
  caller: string,
  queue: string,
  request: RedriveRequest,
): Promise<{ redriven: number }> {
  assertOperator(deps, caller);
  const name = queueName(queue);
  const parsed = RedriveRequestSchema.safeParse(request);
  if (!parsed.success) {
    throw new ValidationError(
      'invalid redrive request',
      parsed.error.issues.map((i) =>
        i.code === 'unrecognized_keys' ? `${i.keys.join(', ')}: not a field` : `${i.path.join('.')}: ${i.message}`,
      ),
    );
  }
  const dlq = deps.queues[name].deadLetters;
  const id = parsed.data.message_id;
  return { redriven: id === undefined ? await dlq.redriveAll() : (await dlq.redrive(id)) ? 1 : 0 };
}

function queueName(queue: string): PipelineQueueName {
  const parsed = PipelineQueueNameSchema.safeParse(queue);
  if (!parsed.success) throw new NotFoundError('queue', queue);
  return parsed.data;
}

const NO_REASON =
  'no reason recorded: it failed on every delivery until the queue moved it here; see the log lines with "to_dlq": true';

/** Why a message the queue moved (no consumer's note) failed, from its body and the records it names. */
async function explainDeadLetter(deps: PipelineDeps, queue: PipelineQueueName, letter: DeadLetter): Promise<string> {
  try {
    if (queue === 'ocr' || queue === 'ocr-results') {
      const schema = queue === 'ocr' ? OcrJobMessageSchema : OcrResultsMessageSchema;
      const message = parseMessageBody(letter.body, schema, `${queue}-queue message`);
      const job = await deps.jobs.getJob(message.job_id);
      if (job === null) return `job ${message.job_id} does not exist (its image may have been deleted)`;
      if (job.failure_reason) return `job ${job.job_id} is ${job.status}: ${job.failure_reason}`;
      return `${NO_REASON} (job ${job.job_id} is ${job.status})`;
    }
    const message = parseMessageBody(letter.body, CompactionMessageSchema, 'compaction-queue message');
    if (message.kind !== 'merge') return NO_REASON;
    const run = await deps.runs.get({
      image_id: message.image_id,
      receipt_id: message.receipt_id,
      run_id: message.run_id,
    });
    if (run === null) return `compaction run ${message.run_id} does not exist (its receipt may have been deleted)`;
    const collection = CollectionSchema.parse(message.collection);
    const progress = run[collection];
    if (progress.error) return `merge of ${collection} is ${progress.state}: ${progress.error}`;
    return `${NO_REASON} (merge of ${collection} is ${progress.state})`;
  } catch (error) {
    if (error instanceof PoisonMessageError) return error.message;
    throw error;
  }
}

function runStatus(run: CompactionRun): CompactionRunStatus {
  const progress = (c: CompactionRun['lines']) => ({
    state: c.state,
    attempts: c.attempts,
    error: c.error,
    updated_at: c.updated_at,
  });
  return {
    run_id: run.run_id,
    image_id: run.image_id,
    receipt_id: run.receipt_id,
    job_id: run.job_id ?? null,
    created_at: run.created_at,
    lines: progress(run.lines),
    words: progress(run.words),
  };
}
