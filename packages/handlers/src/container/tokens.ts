import type {
  VectorSnapshotDeps,
  Clock,
  CompactionLock,
  Embedder,
  ExportArtifacts,
  IdGenerator,
  ImageStore,
  NamedImageStore,
  OcrJobStore,
  PdfPageReader,
  PipelineQueue,
  PipelineQueueName,
  ReceiptStore,
  ReceiptCatalog,
  CompactionRunStore,
  Logger,
  Metrics,
  PlacesResolver,
  Queue,
  QueueBacklog,
  SnapshotStore,
  VectorIndex,
} from '@receiptflow/core';
import type { Container } from 'inversify';
import type { EventSourceResolver } from '../handlers/sqs-event.js';

/** A Symbol.for token that remembers the type bound to it. */
export type Token<T> = symbol & { readonly __type?: T };
const token = <T>(name: string): Token<T> => Symbol.for(`receiptflow.${name}`) as Token<T>;

/** The handlers that count metrics, each under its own `Function` dimension. */
export type MetricsFunction =
  | 'upload'
  | 'receipts-read'
  | 'receipts-change'
  | 'receipts-export'
  | 'pipeline'
  | 'process-ocr-results'
  | 'stream-processor'
  | 'compaction';
/** Metrics for one handler: a Lambda container serves one function, the local runtime all of them. */
export type MetricsFor = (fn: MetricsFunction) => Metrics;

export const TOKENS = {
  Logger: token<Logger>('Logger'),
  Metrics: token<MetricsFor>('Metrics'),
  /** The work queues' redrive maxReceiveCount, when known: failures on that receive are DLQ sends. */
  MaxReceiveCount: token<number | undefined>('MaxReceiveCount'),
  /**
   * A queue consumer's way to its records' queue (by `eventSourceARN`), to settle them for real:
   * ChangeMessageVisibility for a short retry. Unbound: the batch response alone.
   */
  EventSources: token<EventSourceResolver>('EventSources'),
  Clock: token<Clock>('Clock'),
  Ids: token<IdGenerator>('IdGenerator'),
  OcrJobs: token<OcrJobStore>('OcrJobStore'),
  Receipts: token<ReceiptStore>('ReceiptStore'),
  CompactionRuns: token<CompactionRunStore>('CompactionRunStore'),
  /** The owner's receipts as a person lists them (GET /receipts, GET /merchants, GET /export). */
  ReceiptCatalog: token<ReceiptCatalog>('ReceiptCatalog'),
  /**
   * Where `GET /export` writes an export to answer 303 with a presigned GET (AWS, `EXPORT_BUCKET`).
   * Unbound (the local server): the export is streamed in the answer.
   */
  ExportArtifacts: token<ExportArtifacts>('ExportArtifacts'),
  RawImages: token<NamedImageStore>('RawImages'),
  Artifacts: token<NamedImageStore>('Artifacts'),
  Deltas: token<ImageStore>('Deltas'),
  OcrQueue: token<Queue>('OcrQueue'),
  /** How much waits on ocr-queue (the sweep re-sends OCR only while it is empty). */
  OcrBacklog: token<QueueBacklog>('OcrBacklog'),
  /** Name of the bucket the OCR worker writes OCR JSON to (each ocr-queue message's ocr_s3_bucket). */
  OcrOutputBucket: token<string>('OcrOutputBucket'),
  /** The upload path's reader of a PDF's page tree (page count and page sizes refused at upload). */
  PdfPages: token<PdfPageReader>('PdfPages'),
  ResultsQueue: token<Queue>('ResultsQueue'),
  CompactionQueue: token<Queue>('CompactionQueue'),
  VectorIndex: token<VectorIndex>('VectorIndex'),
  Embedder: token<Embedder>('Embedder'),
  Places: token<PlacesResolver>('PlacesResolver'),
  CompactionLock: token<CompactionLock>('CompactionLock'),
  Snapshots: token<SnapshotStore>('SnapshotStore'),
  /** The three work queues with their dead-letter queues, for the pipeline routes. */
  PipelineQueues: token<Record<PipelineQueueName, PipelineQueue>>('PipelineQueues'),
  /** The owners whose keys may call the pipeline routes; unbound: nobody's. */
  Operators: token<readonly string[]>('Operators'),
  /** Server mode's compaction only: what its snapshot files are written from and to, and how often. */
  VectorSnapshots: token<VectorSnapshotDeps>('VectorSnapshots'),
} as const;

/** The type that the token `TOKENS[K]` carries. */
export type TokenValue<K extends keyof typeof TOKENS> = (typeof TOKENS)[K] extends Token<infer T> ? T : never;

/** Constant values for some of the tokens, keyed by the token's name in `TOKENS`. */
export type TokenConstants = { [K in keyof typeof TOKENS]?: TokenValue<K> };

/** Lookup of a token that may be unbound (metrics, the redrive limit): undefined when it is. */
export function resolveOptional<T>(container: Pick<Container, 'get'>, t: Token<T>): T | undefined {
  return container.get<T>(t, { optional: true });
}

/** Typed lookup: the token carries the type, so callers need no casts. */
export function resolve<T>(container: Pick<Container, 'get'>, t: Token<T>): T {
  return container.get<T>(t);
}
