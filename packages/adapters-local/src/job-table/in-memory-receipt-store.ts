import {
  NotFoundError,
  ReceiptFieldsSchema,
  ReceiptFingerprintClaimSchema,
  ReceiptRefSchema,
  ReceiptTombstoneSchema,
  ReceiptLineSchema,
  ReceiptPlaceSchema,
  ReceiptSchema,
  ReceiptWordSchema,
  ValidationError,
  type ReceiptDetails,
  type ReceiptFields,
  type ReceiptFingerprintClaim,
  type ReceiptLine,
  type ReceiptPlace,
  type ReceiptRef,
  type ReceiptStore,
  type ReceiptTombstone,
  type ReceiptWord,
} from '@receiptflow/core';
import { imagePk, linesPrefix, placeSk, receiptFingerprintKey, receiptSk, tombstoneSk } from '@receiptflow/job-table';
import { InMemoryJobTable, type RowWrite } from './in-memory-job-table.js';
import { compare, limited, parse } from './records.js';

const RECEIPT_ROW = /^RECEIPT#\d{5}$/;
const LINE_ROW = /^RECEIPT#\d{5}#LINE#\d{5}$/;
const WORD_ROW = /^RECEIPT#\d{5}#LINE#\d{5}#WORD#\d{5}$/;

/**
 * ReceiptStore in memory, over an {@link InMemoryJobTable} (or {@link FsJobTable}). A receipt and
 * its lines and words are written in one commit (one journal line), so they appear together or
 * not at all. `delete` removes every row under the receipt's key, compaction runs included (a
 * REMOVE for each child row, then the receipt, on the change feed).
 *
 * @example
 * const table = new InMemoryJobTable();
 * const receipts = new InMemoryReceiptStore({ table });
 * const { created } = await receipts.create(details);
 * await receipts.putPlace(place);
 */
export class InMemoryReceiptStore implements ReceiptStore {
  private readonly table: InMemoryJobTable;

  constructor(options: { table?: InMemoryJobTable } = {}) {
    this.table = options.table ?? new InMemoryJobTable();
  }

  async create(details: ReceiptDetails): Promise<{ created: boolean; details: ReceiptDetails }> {
    const validated = validateDetails(details);
    const { image_id, receipt_id } = validated.receipt;
    const existing = this.readDetails(image_id, receipt_id);
    if (existing) return { created: false, details: existing };
    await this.table.commit([
      this.table.put('RECEIPT', validated.receipt),
      ...validated.lines.map((line) => this.table.put('RECEIPT_LINE', line)),
      ...validated.words.map((word) => this.table.put('RECEIPT_WORD', word)),
    ]);
    return { created: true, details: this.readDetails(image_id, receipt_id)! };
  }

  async get(imageId: string, receiptId: number): Promise<ReceiptDetails | null> {
    return this.readDetails(imageId, receiptId);
  }

  async list(imageId: string): Promise<ReceiptDetails[]> {
    return this.table
      .query<{ receipt_id: number }>(imagePk(imageId), (sk) => RECEIPT_ROW.test(sk))
      .map((r) => this.readDetails(imageId, r.receipt_id)!);
  }

  /** Rewrites the receipt row with the new fields (a MODIFY on the change feed, like DynamoDB's). */
  async putFields(imageId: string, receiptId: number, fields: ReceiptFields): Promise<void> {
    const validated = parse(ReceiptFieldsSchema, fields, `fields of receipt ${imageId}/${receiptId}`);
    // No await between the read and the commit: a concurrent delete cannot slip in between.
    const receipt = this.table.read<ReceiptDetails['receipt']>({ PK: imagePk(imageId), SK: receiptSk(receiptId) });
    if (!receipt) throw new NotFoundError('receipt', `${imageId}/${receiptId}`);
    await this.table.commit([this.table.put('RECEIPT', { ...receipt, fields: validated })]);
  }

  async delete(imageId: string, receiptId: number): Promise<void> {
    const PK = imagePk(imageId);
    const base = receiptSk(receiptId);
    const writes: RowWrite[] = this.table
      .sortKeys(PK, (sk) => sk.startsWith(`${base}#`))
      .map((SK) => ({ PK, SK, row: null }));
    if (this.table.row({ PK, SK: base })) writes.push({ PK, SK: base, row: null });
    await this.table.commit(writes);
  }

  async putPlace(place: ReceiptPlace): Promise<void> {
    const record = parse(ReceiptPlaceSchema, place, 'receipt place');
    await this.table.commit([this.table.put('RECEIPT_PLACE', record)]);
  }

  async getPlace(imageId: string, receiptId: number): Promise<ReceiptPlace | null> {
    return this.table.read<ReceiptPlace>({ PK: imagePk(imageId), SK: placeSk(receiptId) });
  }

  async deletePlace(imageId: string, receiptId: number): Promise<void> {
    const key = { PK: imagePk(imageId), SK: placeSk(receiptId) };
    if (this.table.row(key)) await this.table.commit([{ ...key, row: null }]);
  }

  async listByPlaceId(placeId: string, limit?: number): Promise<ReceiptPlace[]> {
    const places = this.table
      .scan<ReceiptPlace>('RECEIPT_PLACE')
      .filter((p) => p.place_id === placeId)
      .sort(
        (a, b) => compare(a.created_at, b.created_at) || compare(a.image_id, b.image_id) || a.receipt_id - b.receipt_id,
      );
    return limited(places, limit);
  }

  async putTombstone(tombstone: ReceiptTombstone): Promise<void> {
    const record = parse(ReceiptTombstoneSchema, tombstone, 'receipt tombstone');
    // The first deletion's record stays (no await between this check and the commit).
    if (this.table.row({ PK: imagePk(record.image_id), SK: tombstoneSk(record.receipt_id) })) return;
    await this.table.commit([this.table.put('RECEIPT_TOMBSTONE', record)]);
  }

  async getTombstone(imageId: string, receiptId: number): Promise<ReceiptTombstone | null> {
    return this.table.read<ReceiptTombstone>({ PK: imagePk(imageId), SK: tombstoneSk(receiptId) });
  }

  async putPossibleDuplicate(imageId: string, receiptId: number, of: ReceiptRef | null): Promise<void> {
    const ref =
      of === null ? null : parse(ReceiptRefSchema, of, `possible duplicate of receipt ${imageId}/${receiptId}`);
    const receipt = this.table.read<ReceiptDetails['receipt']>({ PK: imagePk(imageId), SK: receiptSk(receiptId) });
    if (!receipt) throw new NotFoundError('receipt', `${imageId}/${receiptId}`);
    const { possible_duplicate_of: _previous, ...rest } = receipt;
    await this.table.commit([this.table.put('RECEIPT', ref === null ? rest : { ...rest, possible_duplicate_of: ref })]);
  }

  async claimFingerprint(claim: ReceiptFingerprintClaim): Promise<ReceiptFingerprintClaim> {
    const record = parse(ReceiptFingerprintClaimSchema, claim, 'receipt fingerprint claim');
    const held = this.table.read<ReceiptFingerprintClaim>(receiptFingerprintKey(record.owner, record.fingerprint));
    if (held) return held;
    await this.table.commit([this.table.put('RECEIPT_FINGERPRINT', record)]);
    return record;
  }

  async releaseFingerprint(owner: string, fingerprint: string, imageId: string, receiptId: number): Promise<void> {
    const key = receiptFingerprintKey(owner, fingerprint);
    const held = this.table.read<ReceiptFingerprintClaim>(key);
    if (held?.image_id === imageId && held.receipt_id === receiptId) await this.table.commit([{ ...key, row: null }]);
  }

  private readDetails(imageId: string, receiptId: number): ReceiptDetails | null {
    const PK = imagePk(imageId);
    const receipt = this.table.read<ReceiptDetails['receipt']>({ PK, SK: receiptSk(receiptId) });
    if (!receipt) return null;
    // Sort keys are zero-padded, so key order is (line_id, word_id) order.
    const under = linesPrefix(receiptId);
    return {
      receipt,
      lines: this.table.query<ReceiptLine>(PK, (sk) => sk.startsWith(under) && LINE_ROW.test(sk)),
      words: this.table.query<ReceiptWord>(PK, (sk) => sk.startsWith(under) && WORD_ROW.test(sk)),
    };
  }
}

/** Validates every row and that lines and words belong to the receipt, naming each problem. */
function validateDetails(details: ReceiptDetails): ReceiptDetails {
  const receipt = parse(ReceiptSchema, details.receipt, 'receipt');
  const lines = details.lines.map((line, i) => parse(ReceiptLineSchema, line, `receipt line ${i}`));
  const words = details.words.map((word, i) => parse(ReceiptWordSchema, word, `receipt word ${i}`));
  const issues: string[] = [];
  const lineIds = new Set<number>();
  for (const line of lines) {
    if (line.image_id !== receipt.image_id || line.receipt_id !== receipt.receipt_id) {
      issues.push(`line ${line.line_id} belongs to ${line.image_id}/${line.receipt_id}`);
    }
    if (lineIds.has(line.line_id)) issues.push(`line ${line.line_id} appears twice`);
    lineIds.add(line.line_id);
  }
  const wordIds = new Set<string>();
  for (const word of words) {
    const id = `${word.line_id}/${word.word_id}`;
    if (word.image_id !== receipt.image_id || word.receipt_id !== receipt.receipt_id) {
      issues.push(`word ${id} belongs to ${word.image_id}/${word.receipt_id}`);
    }
    if (!lineIds.has(word.line_id)) issues.push(`word ${id} has no line ${word.line_id}`);
    if (wordIds.has(id)) issues.push(`word ${id} appears twice`);
    wordIds.add(id);
  }
  if (issues.length > 0) {
    throw new ValidationError(`receipt ${receipt.image_id}/${receipt.receipt_id} is inconsistent`, issues);
  }
  return { receipt, lines, words };
}
