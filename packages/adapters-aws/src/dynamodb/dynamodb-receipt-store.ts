import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  ConditionFailedError,
  ValidationError,
  type ReceiptDetails,
  type ReceiptPlace,
  type ReceiptStore,
} from '@receiptflow/core';
import { RECEIPT_SK_PREFIX, imagePk, linesPrefix, placeGsi2Pk, placeSk, receiptSk } from '@receiptflow/job-table';
import { DynamoDbTable, type WriteRequest } from './dynamodb-table.js';
import type { DynamoDbStoreConfig } from './dynamodb-ocr-job-store.js';
import {
  isCommittedReceiptItem,
  lineFromItem,
  lineToItem,
  placeFromItem,
  placeToItem,
  receiptFromItem,
  receiptToItem,
  wordFromItem,
  wordToItem,
  type Item,
} from './item-codec.js';

/**
 * ReceiptStore over the DynamoDB job table. A receipt, its lines, words, place and compaction
 * runs share the `RECEIPT#nnnnn` sort-key prefix under the image, so one prefix query reads a
 * receipt and one prefix delete removes every child row (the cascade ReceiptStore.delete
 * promises). Places are listed by place id through the sparse GSI2.
 *
 * @example
 * const receipts = new DynamoDbReceiptStore(doc, { tableName: 'receiptflow-jobs', clock });
 * const { created } = await receipts.create({ receipt, lines, words });
 */
export class DynamoDbReceiptStore implements ReceiptStore {
  private readonly table: DynamoDbTable;
  private readonly defaultListLimit: number;

  constructor(doc: DynamoDBDocumentClient, config: DynamoDbStoreConfig) {
    this.table = new DynamoDbTable(doc, config);
    this.defaultListLimit = config.defaultListLimit ?? 100;
  }

  /**
   * Receipt row first (conditional, marked WRITING), then lines and words in batches, then the
   * row is committed. Readers ignore a WRITING receipt, so a failure part-way never shows a
   * partial receipt; the failed attempt's rows are removed, and a later attempt may take over a
   * WRITING row left by a crash.
   */
  async create(details: ReceiptDetails): Promise<{ created: boolean; details: ReceiptDetails }> {
    assertChildrenBelong(details);
    const { image_id: imageId, receipt_id: receiptId } = details.receipt;
    const writeId = randomUUID();
    const pk = imagePk(imageId);
    try {
      await this.table.put(receiptToItem(details.receipt, 'WRITING', writeId), {
        expression: 'attribute_not_exists(PK) OR write_state = :writing',
        values: { ':writing': 'WRITING' },
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const existing = await this.get(imageId, receiptId);
      if (existing) return { created: false, details: existing };
      throw new ConditionFailedError(`receipt ${imageId}/${receiptId} is being written concurrently`, {
        cause: error,
      });
    }

    try {
      // Rows of an earlier crashed attempt (WRITING takeover) may not match this one's shape.
      await this.deleteLinesAndWords(pk, receiptId);
      await this.table.batchWrite([
        ...details.lines.map((l): WriteRequest => ({ PutRequest: { Item: lineToItem(l) } })),
        ...details.words.map((w): WriteRequest => ({ PutRequest: { Item: wordToItem(w) } })),
      ]);
      await this.table.update({
        Key: { PK: pk, SK: receiptSk(receiptId) },
        UpdateExpression: 'SET write_state = :committed',
        ConditionExpression: 'write_id = :mine',
        ExpressionAttributeValues: { ':committed': 'COMMITTED', ':mine': writeId },
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) {
        // Another attempt took the WRITING row over; its outcome is the receipt's.
        const existing = await this.get(imageId, receiptId);
        if (existing) return { created: false, details: existing };
      } else {
        await this.rollbackReceipt(pk, receiptId, writeId);
      }
      throw error;
    }
    return { created: true, details };
  }

  async get(imageId: string, receiptId: number): Promise<ReceiptDetails | null> {
    const items = await this.table.queryPrefix(imagePk(imageId), receiptSk(receiptId));
    return assembleReceipts(items)[0] ?? null;
  }

  async list(imageId: string): Promise<ReceiptDetails[]> {
    const items = await this.table.queryPrefix(imagePk(imageId), RECEIPT_SK_PREFIX);
    return assembleReceipts(items);
  }

  /** Every row under the receipt's prefix (lines, words, place, compaction runs), the receipt last. */
  async delete(imageId: string, receiptId: number): Promise<void> {
    const pk = imagePk(imageId);
    const rowSk = receiptSk(receiptId);
    const rows = await this.table.queryPrefix(pk, rowSk, ['PK', 'SK']);
    const children = rows.filter((r) => r.SK !== rowSk);
    await this.table.batchWrite(
      children.map((r): WriteRequest => ({ DeleteRequest: { Key: { PK: pk, SK: r.SK as string } } })),
    );
    if (rows.length > children.length) await this.table.delete({ PK: pk, SK: rowSk });
  }

  async putPlace(place: ReceiptPlace): Promise<void> {
    await this.table.put(placeToItem(place));
  }

  async getPlace(imageId: string, receiptId: number): Promise<ReceiptPlace | null> {
    const item = await this.table.get({ PK: imagePk(imageId), SK: placeSk(receiptId) });
    return item ? placeFromItem(item) : null;
  }

  async deletePlace(imageId: string, receiptId: number): Promise<void> {
    await this.table.delete({ PK: imagePk(imageId), SK: placeSk(receiptId) });
  }

  async listByPlaceId(placeId: string, limit = this.defaultListLimit): Promise<ReceiptPlace[]> {
    const items = await this.table.query(
      {
        IndexName: 'GSI2',
        KeyConditionExpression: 'GSI2PK = :pk',
        ExpressionAttributeValues: { ':pk': placeGsi2Pk(placeId) },
        Limit: Math.min(limit, 1000),
      },
      limit,
    );
    return items.map(placeFromItem);
  }

  /** Deletes the line and word rows of a receipt being written (nothing else is ours). */
  private async deleteLinesAndWords(pk: string, receiptId: number): Promise<void> {
    const rows = await this.table.queryPrefix(pk, linesPrefix(receiptId), ['PK', 'SK']);
    await this.table.batchWrite(
      rows.map((r): WriteRequest => ({ DeleteRequest: { Key: { PK: pk, SK: r.SK as string } } })),
    );
  }

  /** Best effort: the WRITING marker already hides the receipt if this fails too. */
  private async rollbackReceipt(pk: string, receiptId: number, writeId: string): Promise<void> {
    try {
      await this.deleteLinesAndWords(pk, receiptId);
      await this.table.delete(
        { PK: pk, SK: receiptSk(receiptId) },
        { expression: 'write_id = :mine', values: { ':mine': writeId } },
      );
    } catch {
      // Left as WRITING: invisible to readers, taken over by the next attempt.
    }
  }
}

function assertChildrenBelong(details: ReceiptDetails): void {
  const { image_id, receipt_id } = details.receipt;
  const strays = [...details.lines, ...details.words].filter(
    (c) => c.image_id !== image_id || c.receipt_id !== receipt_id,
  );
  if (strays.length > 0) {
    throw new ValidationError(`receipt ${image_id}/${receipt_id} has children of another receipt`, [
      `${strays.length} line/word rows with a different image_id or receipt_id`,
    ]);
  }
}

/** Groups rows (in SK order) into committed receipts with their lines and words. */
function assembleReceipts(items: Item[]): ReceiptDetails[] {
  const receipts = new Map<number, ReceiptDetails>();
  for (const item of items) {
    if (item.entity === 'RECEIPT' && isCommittedReceiptItem(item)) {
      const receipt = receiptFromItem(item);
      receipts.set(receipt.receipt_id, { receipt, lines: [], words: [] });
    }
  }
  for (const item of items) {
    const details = receipts.get(Number(item.receipt_id));
    if (!details) continue;
    if (item.entity === 'RECEIPT_LINE') details.lines.push(lineFromItem(item));
    else if (item.entity === 'RECEIPT_WORD') details.words.push(wordFromItem(item));
  }
  return [...receipts.values()].sort((a, b) => a.receipt.receipt_id - b.receipt.receipt_id);
}
