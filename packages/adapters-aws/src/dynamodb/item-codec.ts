import {
  CompactionRunSchema,
  ImageRecordSchema,
  OcrJobSchema,
  ReceiptLineSchema,
  ReceiptPlaceSchema,
  ReceiptSchema,
  ReceiptWordSchema,
  RoutingDecisionSchema,
  ValidationError,
  type Collection,
  type CollectionProgress,
  type CompactionRun,
  type Entity,
  type ImageRecord,
  type OcrJob,
  type Receipt,
  type ReceiptLine,
  type ReceiptPlace,
  type ReceiptWord,
  type RoutingDecision,
} from '@receiptflow/core';
import type { z } from 'zod';
import {
  IMAGE_SK,
  UNFINISHED_RUNS_GSI1PK,
  compactionRunSk,
  imagePk,
  jobGsi1Sk,
  jobSk,
  jobStatusGsi1Pk,
  lineSk,
  placeGsi2Pk,
  placeGsi2Sk,
  placeSk,
  receiptSk,
  routingSk,
  runGsi1Sk,
  wordSk,
} from '@receiptflow/job-table';

/** A job-table item as the DocumentClient reads and writes it. */
export type Item = Record<string, unknown>;

/** Entities of rows that are not domain records (no ChangeRecord is made for them). */
export type StorageEntity = 'OCR_JOB_POINTER' | 'PLACES_CACHE' | 'LOCK' | 'SNAPSHOT';
export type TableEntity = Entity | StorageEntity;

/**
 * Receipts are written in two steps (receipt row, then children in batches); until the second
 * step commits, the row is WRITING and readers treat the receipt as absent.
 */
export type ReceiptWriteState = 'WRITING' | 'COMMITTED';

/**
 * Parses a stored row with `schema`; a row that does not fit throws a ValidationError naming
 * `what` and the row's key, with zod's issues.
 *
 * @example
 * const entry = decodeItem(PlacesCacheEntrySchema, item, 'places cache row');
 */
export function decodeItem<T>(schema: z.ZodType<T>, item: Item, what: string): T {
  // zod drops unknown keys, so storage attributes (PK, SK, GSI keys, entity) fall away here.
  const parsed = schema.safeParse(item);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ValidationError(`stored ${what} ${String(item.PK)}/${String(item.SK)} is malformed`, issues);
  }
  return parsed.data;
}

export const imageToItem = (image: ImageRecord): Item => ({
  PK: imagePk(image.image_id),
  SK: IMAGE_SK,
  entity: 'IMAGE',
  ...image,
});
export const imageFromItem = (item: Item): ImageRecord => decodeItem(ImageRecordSchema, item, 'image');

export const jobToItem = (job: OcrJob): Item => ({
  PK: imagePk(job.image_id),
  SK: jobSk(job.job_id),
  entity: 'OCR_JOB',
  GSI1PK: jobStatusGsi1Pk(job.status),
  GSI1SK: jobGsi1Sk(job.created_at, job.job_id),
  ...job,
});
export const jobFromItem = (item: Item): OcrJob => decodeItem(OcrJobSchema, item, 'OCR job');

export const routingToItem = (decision: RoutingDecision): Item => ({
  PK: imagePk(decision.image_id),
  SK: routingSk(decision.job_id),
  entity: 'ROUTING',
  ...decision,
});
export const routingFromItem = (item: Item): RoutingDecision =>
  decodeItem(RoutingDecisionSchema, item, 'routing decision');

export const receiptToItem = (receipt: Receipt, writeState: ReceiptWriteState, writeId: string): Item => ({
  PK: imagePk(receipt.image_id),
  SK: receiptSk(receipt.receipt_id),
  entity: 'RECEIPT',
  write_state: writeState,
  write_id: writeId,
  ...receipt,
});
export const receiptFromItem = (item: Item): Receipt => decodeItem(ReceiptSchema, item, 'receipt');
export const isCommittedReceiptItem = (item: Item): boolean => item.write_state !== 'WRITING';

export const lineToItem = (line: ReceiptLine): Item => ({
  PK: imagePk(line.image_id),
  SK: lineSk(line.receipt_id, line.line_id),
  entity: 'RECEIPT_LINE',
  ...line,
});
export const lineFromItem = (item: Item): ReceiptLine => decodeItem(ReceiptLineSchema, item, 'receipt line');

export const wordToItem = (word: ReceiptWord): Item => ({
  PK: imagePk(word.image_id),
  SK: wordSk(word.receipt_id, word.line_id, word.word_id),
  entity: 'RECEIPT_WORD',
  ...word,
});
export const wordFromItem = (item: Item): ReceiptWord => decodeItem(ReceiptWordSchema, item, 'receipt word');

export const placeToItem = (place: ReceiptPlace): Item => ({
  PK: imagePk(place.image_id),
  SK: placeSk(place.receipt_id),
  entity: 'RECEIPT_PLACE',
  // Sparse GSI2: only receipts resolved to a place are listed by place_id.
  ...(place.place_id !== null
    ? { GSI2PK: placeGsi2Pk(place.place_id), GSI2SK: placeGsi2Sk(place.image_id, place.receipt_id) }
    : {}),
  ...place,
});
export const placeFromItem = (item: Item): ReceiptPlace => decodeItem(ReceiptPlaceSchema, item, 'receipt place');

const PROGRESS_FIELDS = [
  'state',
  'delta_key',
  'vector_count',
  'merged_count',
  'error',
  'updated_at',
  'attempts',
] as const satisfies readonly (keyof CollectionProgress)[];

/** `lines_state`, `words_merged_count`, …: flat, so one collection updates without the other. */
export const progressAttribute = (collection: Collection, field: keyof CollectionProgress): string =>
  `${collection}_${field}`;

function flattenProgress(collection: Collection, progress: CollectionProgress): Item {
  const flat: Item = {};
  for (const field of PROGRESS_FIELDS) flat[progressAttribute(collection, field)] = progress[field];
  return flat;
}

function unflattenProgress(collection: Collection, item: Item): Item {
  const nested: Item = {};
  for (const field of PROGRESS_FIELDS) nested[field] = item[progressAttribute(collection, field)];
  return nested;
}

const isFinished = (run: Pick<CompactionRun, 'lines' | 'words'>): boolean =>
  run.lines.state === 'COMPLETED' && run.words.state === 'COMPLETED';

export const compactionRunToItem = (run: CompactionRun): Item => ({
  PK: imagePk(run.image_id),
  SK: compactionRunSk(run.receipt_id, run.run_id),
  entity: 'COMPACTION_RUN',
  // Sparse GSI1 partition: the sweep finds unfinished runs without a scan.
  ...(isFinished(run)
    ? {}
    : {
        GSI1PK: UNFINISHED_RUNS_GSI1PK,
        GSI1SK: runGsi1Sk(run.created_at, run.image_id, run.receipt_id, run.run_id),
      }),
  run_id: run.run_id,
  image_id: run.image_id,
  receipt_id: run.receipt_id,
  ...(run.job_id === undefined ? {} : { job_id: run.job_id }),
  created_at: run.created_at,
  ...flattenProgress('lines', run.lines),
  ...flattenProgress('words', run.words),
});
export const compactionRunFromItem = (item: Item): CompactionRun =>
  decodeItem(
    CompactionRunSchema,
    { ...item, lines: unflattenProgress('lines', item), words: unflattenProgress('words', item) },
    'compaction run',
  );
export const isFinishedRun = isFinished;

/** Each domain entity's decoder; a new entity does not compile until it has one. */
const DOMAIN_DECODERS: Record<Entity, (item: Item) => Record<string, unknown>> = {
  IMAGE: imageFromItem,
  OCR_JOB: jobFromItem,
  ROUTING: routingFromItem,
  RECEIPT: receiptFromItem,
  RECEIPT_LINE: lineFromItem,
  RECEIPT_WORD: wordFromItem,
  RECEIPT_PLACE: placeFromItem,
  COMPACTION_RUN: compactionRunFromItem,
};

/** Decodes any domain row by its `entity` attribute; null for storage-only rows. */
export function domainRecordFromItem(item: Item): { entity: Entity; record: Record<string, unknown> } | null {
  const entity = item.entity;
  if (typeof entity !== 'string' || !Object.hasOwn(DOMAIN_DECODERS, entity)) return null;
  return { entity: entity as Entity, record: DOMAIN_DECODERS[entity as Entity](item) };
}

/** Order-insensitive-for-keys structural equality, for "an identical write again is a success". */
export function sameRecord(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}
