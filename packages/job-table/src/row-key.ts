import type { Entity } from '@receiptflow/core';
import {
  IMAGE_SK,
  compactionRunSk,
  imageHashClaimKey,
  imagePk,
  jobSk,
  lineSk,
  placeSk,
  receiptFingerprintKey,
  receiptSk,
  routingSk,
  tombstoneSk,
  wordSk,
  type TableKey,
} from './keys.js';

/** The fields a domain record's key is made of; each entity's record carries the ones it needs. */
export interface KeyFields {
  image_id: string;
  /** Claims (image hashes, receipt fingerprints) are keyed by owner, not by image. */
  owner?: string;
  sha256?: string;
  fingerprint?: string;
  job_id?: string;
  receipt_id?: number;
  line_id?: number;
  word_id?: number;
  run_id?: string;
}

/**
 * The key of a domain record of the given entity: where the DynamoDB table puts it, and where a
 * local table (or a journal replay of its change records) puts it too.
 *
 * @example
 * rowKeyOf('RECEIPT_LINE', { image_id: 'img-1', receipt_id: 2, line_id: 7 });
 * // { PK: 'IMAGE#img-1', SK: 'RECEIPT#00002#LINE#00007' }
 */
export function rowKeyOf(entity: Entity, record: KeyFields): TableKey {
  const PK = imagePk(record.image_id);
  const field = <K extends keyof KeyFields>(name: K): NonNullable<KeyFields[K]> => {
    const value = record[name];
    if (value === undefined || value === null) throw new TypeError(`${entity} record has no ${name}`);
    return value as NonNullable<KeyFields[K]>;
  };
  switch (entity) {
    case 'IMAGE':
      return { PK, SK: IMAGE_SK };
    case 'OCR_JOB':
      return { PK, SK: jobSk(field('job_id')) };
    case 'ROUTING':
      return { PK, SK: routingSk(field('job_id')) };
    case 'RECEIPT':
      return { PK, SK: receiptSk(field('receipt_id')) };
    case 'RECEIPT_LINE':
      return { PK, SK: lineSk(field('receipt_id'), field('line_id')) };
    case 'RECEIPT_WORD':
      return { PK, SK: wordSk(field('receipt_id'), field('line_id'), field('word_id')) };
    case 'RECEIPT_PLACE':
      return { PK, SK: placeSk(field('receipt_id')) };
    case 'COMPACTION_RUN':
      return { PK, SK: compactionRunSk(field('receipt_id'), field('run_id')) };
    case 'RECEIPT_TOMBSTONE':
      return { PK, SK: tombstoneSk(field('receipt_id')) };
    case 'IMAGE_HASH_CLAIM':
      return imageHashClaimKey(field('owner'), field('sha256'));
    case 'RECEIPT_FINGERPRINT':
      return receiptFingerprintKey(field('owner'), field('fingerprint'));
  }
}
