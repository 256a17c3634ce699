import type { Entity } from '@receiptflow/core';

const pad = (n: number) => String(n).padStart(5, '0');

/** A job-table row's key, in the single-table layout the DynamoDB adapter uses. */
export interface RowKey {
  pk: string;
  sk: string;
}

export const imagePk = (imageId: string) => `IMAGE#${imageId}`;
export const receiptSk = (receiptId: number) => `RECEIPT#${pad(receiptId)}`;
export const lineSk = (receiptId: number, lineId: number) => `${receiptSk(receiptId)}#LINE#${pad(lineId)}`;
export const wordSk = (receiptId: number, lineId: number, wordId: number) =>
  `${lineSk(receiptId, lineId)}#WORD#${pad(wordId)}`;
export const placeSk = (receiptId: number) => `${receiptSk(receiptId)}#PLACE`;
export const runSk = (receiptId: number, runId: string) => `${receiptSk(receiptId)}#COMPACTION_RUN#${runId}`;

/**
 * The key of a domain record of the given entity, so that rows (and journal replays of change
 * records) land where the DynamoDB table would put them, and sort the same way.
 */
export function rowKeyOf(entity: Entity, record: Record<string, unknown>): RowKey {
  // Each entity's record carries the fields its key needs (validated before it is written).
  const r = record as {
    image_id: string;
    job_id: string;
    receipt_id: number;
    line_id: number;
    word_id: number;
    run_id: string;
  };
  const pk = imagePk(r.image_id);
  switch (entity) {
    case 'IMAGE':
      return { pk, sk: 'IMAGE' };
    case 'OCR_JOB':
      return { pk, sk: `OCR_JOB#${r.job_id}` };
    case 'ROUTING':
      return { pk, sk: `ROUTING#${r.job_id}` };
    case 'RECEIPT':
      return { pk, sk: receiptSk(r.receipt_id) };
    case 'RECEIPT_LINE':
      return { pk, sk: lineSk(r.receipt_id, r.line_id) };
    case 'RECEIPT_WORD':
      return { pk, sk: wordSk(r.receipt_id, r.line_id, r.word_id) };
    case 'RECEIPT_PLACE':
      return { pk, sk: placeSk(r.receipt_id) };
    case 'COMPACTION_RUN':
      return { pk, sk: runSk(r.receipt_id, r.run_id) };
  }
}
