import type { Collection, JobStatus } from '@receiptflow/core';

/**
 * Row keys of the job table, per the deployment contract: the one place their text is built,
 * for the DynamoDB adapters and for the local adapters that keep the same layout (so a local
 * table sorts, lists and cascades exactly as the deployed one does).
 *
 * Ids are zero-padded to five digits so that string order of sort keys is numeric order:
 * receipt 2 sorts before receipt 10, and a receipt's lines, words, place and compaction runs
 * all sit under its `RECEIPT#nnnnn` prefix, which is what lets one prefix query read or delete
 * a receipt with every child row.
 */

/** Digits ids are padded to; receipt, line and word ids stay below 10^5. */
export const ID_DIGITS = 5;

const pad = (n: number): string => String(n).padStart(ID_DIGITS, '0');

/** A row's primary key (partition `PK`, sort `SK`). */
export interface TableKey {
  PK: string;
  SK: string;
}

export const imagePk = (imageId: string): string => `IMAGE#${imageId}`;
export const IMAGE_SK = 'IMAGE';
export const JOB_SK_PREFIX = 'OCR_JOB#';
export const jobSk = (jobId: string): string => `${JOB_SK_PREFIX}${jobId}`;
export const ROUTING_SK_PREFIX = 'ROUTING#';
export const routingSk = (jobId: string): string => `${ROUTING_SK_PREFIX}${jobId}`;
export const RECEIPT_SK_PREFIX = 'RECEIPT#';
export const receiptSk = (receiptId: number): string => `${RECEIPT_SK_PREFIX}${pad(receiptId)}`;
/** Prefix of every line (and so word) row of one receipt. */
export const linesPrefix = (receiptId: number): string => `${receiptSk(receiptId)}#LINE#`;
export const lineSk = (receiptId: number, lineId: number): string => `${linesPrefix(receiptId)}${pad(lineId)}`;
export const wordSk = (receiptId: number, lineId: number, wordId: number): string =>
  `${lineSk(receiptId, lineId)}#WORD#${pad(wordId)}`;
export const placeSk = (receiptId: number): string => `${receiptSk(receiptId)}#PLACE`;
/** Prefix of every compaction run row of one receipt. */
export const compactionRunsPrefix = (receiptId: number): string => `${receiptSk(receiptId)}#COMPACTION_RUN#`;
export const compactionRunSk = (receiptId: number, runId: string): string =>
  `${compactionRunsPrefix(receiptId)}${runId}`;

/**
 * A deleted receipt's tombstone: in its image's partition (so it is read with one GetItem) but
 * outside the `RECEIPT#nnnnn` prefix, so the prefix delete of the receipt's rows never takes it.
 */
export const TOMBSTONE_SK_PREFIX = 'TOMBSTONE#';
export const tombstoneSk = (receiptId: number): string => `${TOMBSTONE_SK_PREFIX}${receiptSk(receiptId)}`;

/** One owner's claim on some bytes (duplicate uploads): one item per (owner, sha256). */
export const imageHashClaimKey = (owner: string, sha256: string): TableKey => ({
  PK: `IMAGE_HASH#${owner}#${sha256}`,
  SK: 'IMAGE_HASH',
});
/** One owner's claim on a receipt fingerprint (merchant, date, total): one item per pair. */
export const receiptFingerprintKey = (owner: string, fingerprint: string): TableKey => ({
  PK: `RECEIPT_FINGERPRINT#${owner}#${fingerprint}`,
  SK: 'RECEIPT_FINGERPRINT',
});

/** Finds a job's image by job id alone, with a strongly consistent GetItem (a GSI can lag). */
export const jobPointerKey = (jobId: string): TableKey => ({ PK: `OCR_JOB#${jobId}`, SK: 'OCR_JOB' });
export const placesCacheKey = (key: string): TableKey => ({
  PK: `PLACES_CACHE#${key}`,
  SK: 'PLACES_CACHE',
});
export const lockKey = (name: string): TableKey => ({ PK: `LOCK#${name}`, SK: 'LOCK' });
export const snapshotKey = (collection: Collection): TableKey => ({
  PK: `SNAPSHOT#${collection}`,
  SK: 'SNAPSHOT',
});

/** GSI1: jobs by status, oldest first. */
export const jobStatusGsi1Pk = (status: JobStatus): string => `OCR_JOB_STATUS#${status}`;
export const jobGsi1Sk = (createdAt: string, jobId: string): string => `${createdAt}#${jobId}`;
/** GSI1: a sparse partition of runs with a collection not COMPLETED, for the sweep. */
export const UNFINISHED_RUNS_GSI1PK = 'COMPACTION_RUN#UNFINISHED';
export const runGsi1Sk = (createdAt: string, imageId: string, receiptId: number, runId: string): string =>
  `${createdAt}#${imageId}#${pad(receiptId)}#${runId}`;
/** GSI2: receipt places by place_id. */
export const placeGsi2Pk = (placeId: string): string => `PLACE#${placeId}`;
export const placeGsi2Sk = (imageId: string, receiptId: number): string => `IMAGE#${imageId}#${receiptSk(receiptId)}`;

/**
 * The listing sort key of a receipt: `<sort date>#<image_id>#<receipt_id, 5 digits>`. String
 * order is (date, image_id, receipt_id) order (ids are `[A-Za-z0-9_-]`, all above `#`), so a
 * descending query is the listing's newest-first order, and a date range is a key range.
 * GSI3, GSI4 and GSI5 sort by it; the local index sorts by it too.
 */
export const receiptListSk = (sortDate: string, imageId: string, receiptId: number): string =>
  `${sortDate}#${imageId}#${pad(receiptId)}`;
/** Above every listing sort key of `day` (`~` sorts after every id character): a `to` bound. */
export const receiptListDayEnd = (day: string): string => `${day}#~`;
/** GSI3: every receipt of an owner, by receiptListSk. */
export const ownerReceiptsGsi3Pk = (owner: string): string => `OWNER#${owner}`;
/** GSI4: an owner's receipts resolved to one place, by receiptListSk (sparse: only receipts with a place_id). */
export const ownerPlaceGsi4Pk = (owner: string, placeId: string): string => `OWNER#${owner}#PLACE#${placeId}`;
/** GSI5: an owner's receipts resolved to any place (sparse), a small projection for the merchant list. */
export const ownerMerchantsGsi5Pk = (owner: string): string => `OWNER#${owner}#MERCHANTS`;
