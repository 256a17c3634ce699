import {
  CompactionRunSchema,
  ImageHashClaimSchema,
  ImageRecordSchema,
  OcrJobSchema,
  ReceiptLineSchema,
  ReceiptFingerprintClaimSchema,
  ReceiptPlaceSchema,
  ReceiptSchema,
  ReceiptTombstoneSchema,
  ReceiptWordSchema,
  RoutingDecisionSchema,
  ValidationError,
  majorAmount,
  ownerOf,
  receiptSearchText,
  receiptSortDate,
  type Collection,
  type CollectionProgress,
  type CompactionRun,
  type Entity,
  type ImageHashClaim,
  type ImageRecord,
  type OcrJob,
  type Receipt,
  type ReceiptFingerprintClaim,
  type ReceiptLine,
  type ReceiptPlace,
  type ReceiptSummary,
  type ReceiptTombstone,
  type ReceiptWord,
  type RoutingDecision,
} from '@receiptflow/core';
import type * as z from 'zod';
import {
  IMAGE_SK,
  UNFINISHED_RUNS_GSI1PK,
  compactionRunSk,
  imageHashClaimKey,
  imagePk,
  jobGsi1Sk,
  jobSk,
  jobStatusGsi1Pk,
  lineSk,
  ownerMerchantsGsi5Pk,
  ownerPlaceGsi4Pk,
  ownerReceiptsGsi3Pk,
  placeGsi2Pk,
  placeGsi2Sk,
  placeSk,
  receiptFingerprintKey,
  receiptListSk,
  receiptSk,
  routingSk,
  runGsi1Sk,
  tombstoneSk,
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

/**
 * The receipt row, with the attributes that list it (docs/adapters.md#access-patterns): GSI3 by
 * owner, the sort keys GSI4/GSI5 use once a place is set ({@link listedPlaceItem}), the total in
 * major units and the lower-cased text of its lines for the amount and text filter expressions.
 */
export const receiptToItem = (
  receipt: Receipt,
  writeState: ReceiptWriteState,
  writeId: string,
  lines: readonly ReceiptLine[],
): Item => ({
  PK: imagePk(receipt.image_id),
  SK: receiptSk(receipt.receipt_id),
  entity: 'RECEIPT',
  write_state: writeState,
  write_id: writeId,
  GSI3PK: ownerReceiptsGsi3Pk(ownerOf(receipt)),
  ...receiptSortItem(receipt),
  [SEARCH_TEXT]: receiptSearchText(lines),
  ...receipt,
});

/** The receipt row attribute the text filter searches (lower-cased lines, receiptSearchText). */
export const SEARCH_TEXT = 'search_text';
/** The receipt row attribute the amount filter compares (the total in major units). */
export const TOTAL_MAJOR = 'total_major';
/** The receipt row attribute holding the listing's view of its place (ReceiptSummary.merchant). */
export const LISTED_PLACE = 'listed_place';

/**
 * The listing attributes that follow the receipt's fields: its sort key on GSI3/4/5 (a GSI
 * holds the row only while its partition key is set too) and its total in major units. A
 * receipt without a total has no `total_major` (returned as null here: the caller REMOVEs it),
 * so an amount filter never matches it.
 */
export function receiptSortItem(receipt: Receipt): {
  GSI3SK: string;
  GSI4SK: string;
  GSI5SK: string;
  total_major?: number;
} {
  const sk = receiptListSk(receiptSortDate(receipt), receipt.image_id, receipt.receipt_id);
  const total = receipt.fields?.total;
  return { GSI3SK: sk, GSI4SK: sk, GSI5SK: sk, ...(total ? { [TOTAL_MAJOR]: majorAmount(total) } : {}) };
}

/**
 * The listing attributes that follow the receipt's place: the listing's view of it, and GSI4
 * (owner and place) and GSI5 (the owner's merchants) partition keys while it has a place_id.
 * Absent keys are REMOVEd by the caller, so the row leaves those indexes.
 */
export function listedPlaceItem(
  owner: string,
  merchant: ReceiptSummary['merchant'],
): { listed_place?: NonNullable<ReceiptSummary['merchant']>; GSI4PK?: string; GSI5PK?: string } {
  if (!merchant) return {};
  return {
    [LISTED_PLACE]: merchant,
    ...(merchant.place_id !== null
      ? { GSI4PK: ownerPlaceGsi4Pk(owner, merchant.place_id), GSI5PK: ownerMerchantsGsi5Pk(owner) }
      : {}),
  };
}

/** The listing's view of the place stored on a receipt row, or null (absent or not a place). */
export function listedPlaceFromItem(item: Item): ReceiptSummary['merchant'] {
  const value = item[LISTED_PLACE] as Record<string, unknown> | undefined;
  if (!value || typeof value !== 'object') return null;
  const parsed = ReceiptPlaceSchema.pick({ place_id: true, source: true })
    .extend({ name: ReceiptPlaceSchema.shape.merchant_name })
    .safeParse(value);
  if (!parsed.success)
    throw new ValidationError(`stored listed_place of ${String(item.PK)}/${String(item.SK)} is malformed`);
  return { place_id: parsed.data.place_id, name: parsed.data.name, source: parsed.data.source };
}
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

export const tombstoneToItem = (tombstone: ReceiptTombstone): Item => ({
  PK: imagePk(tombstone.image_id),
  SK: tombstoneSk(tombstone.receipt_id),
  entity: 'RECEIPT_TOMBSTONE',
  ...tombstone,
});
export const tombstoneFromItem = (item: Item): ReceiptTombstone =>
  decodeItem(ReceiptTombstoneSchema, item, 'receipt tombstone');

export const imageHashClaimToItem = (claim: ImageHashClaim): Item => ({
  ...imageHashClaimKey(claim.owner, claim.sha256),
  entity: 'IMAGE_HASH_CLAIM',
  ...claim,
});
export const imageHashClaimFromItem = (item: Item): ImageHashClaim =>
  decodeItem(ImageHashClaimSchema, item, 'image hash claim');

export const fingerprintClaimToItem = (claim: ReceiptFingerprintClaim): Item => ({
  ...receiptFingerprintKey(claim.owner, claim.fingerprint),
  entity: 'RECEIPT_FINGERPRINT',
  ...claim,
});
export const fingerprintClaimFromItem = (item: Item): ReceiptFingerprintClaim =>
  decodeItem(ReceiptFingerprintClaimSchema, item, 'receipt fingerprint claim');

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
  RECEIPT_TOMBSTONE: tombstoneFromItem,
  IMAGE_HASH_CLAIM: imageHashClaimFromItem,
  RECEIPT_FINGERPRINT: fingerprintClaimFromItem,
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
