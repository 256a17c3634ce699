import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import {
  ConditionFailedError,
  LeaseLostError,
  NotFoundError,
  ReceiptFieldsSchema,
  ReceiptFingerprintClaimSchema,
  ReceiptRefSchema,
  ReceiptSchema,
  ReceiptTombstoneSchema,
  ValidationError,
  listedMerchant,
  ownerOf,
  type ReceiptDetails,
  type ReceiptFields,
  type ReceiptFingerprintClaim,
  type ReceiptPlace,
  type ReceiptRef,
  type ReceiptStore,
  type ReceiptTombstone,
} from '@receiptflow/core';
import {
  RECEIPT_SK_PREFIX,
  imagePk,
  ownerReceiptsGsi3Pk,
  placeGsi2Pk,
  placeSk,
  receiptFingerprintKey,
  receiptSk,
  tombstoneSk,
} from '@receiptflow/job-table';
import type { WriteRequest } from './dynamodb-table.js';
import { DynamoDbJobTableStore, type DynamoDbStoreConfig } from './dynamodb-job-table-store.js';
import { ReceiptWriteAttempt, type ReceiptWriteOptions } from './receipt-write-attempt.js';
import {
  fingerprintClaimFromItem,
  fingerprintClaimToItem,
  LISTED_PLACE,
  TOTAL_MAJOR,
  isCommittedReceiptItem,
  lineFromItem,
  listedPlaceFromItem,
  listedPlaceItem,
  placeFromItem,
  placeToItem,
  receiptFromItem,
  receiptSortItem,
  sameRecord,
  tombstoneFromItem,
  tombstoneToItem,
  wordFromItem,
  type Item,
} from './item-codec.js';

/** The job-table store config, plus how receipts are written. */
export interface DynamoDbReceiptStoreConfig extends DynamoDbStoreConfig {
  receiptWrites?: ReceiptWriteOptions;
}

/**
 * ReceiptStore over the DynamoDB job table. A receipt, its lines, words, place and compaction
 * runs share the `RECEIPT#nnnnn` sort-key prefix under the image, so one prefix query reads a
 * receipt and one prefix delete removes every child row (the cascade ReceiptStore.delete
 * promises). Places are listed by place id through the sparse GSI2.
 *
 * It also keeps the receipt row's listing attributes (what {@link DynamoDbReceiptCatalog} queries,
 * docs/adapters.md#access-patterns) current on every write: `create` sets GSI3 (owner) and the
 * filter attributes, `putFields` moves the sort keys and the total, `putPlace`/`deletePlace`
 * copy the place onto the row and set or clear GSI4 (owner and place) and GSI5 (merchants), and
 * `delete` takes the row out of every index with it.
 *
 * @example
 * const receipts = new DynamoDbReceiptStore(doc, { tableName: 'receiptflow-jobs', clock });
 * const { created } = await receipts.create({ receipt, lines, words });
 */
export class DynamoDbReceiptStore extends DynamoDbJobTableStore implements ReceiptStore {
  private readonly writeOptions: ReceiptWriteOptions;

  constructor(doc: DynamoDBDocumentClient, config: DynamoDbReceiptStoreConfig) {
    super(doc, config);
    this.writeOptions = config.receiptWrites ?? {};
  }

  /**
   * Claims the receipt row (WRITING, with this attempt's write id and a lease), writes lines and
   * words tagged with that id, reads them back, then commits; readers ignore a WRITING receipt,
   * so a failure part-way never shows a partial receipt. A duplicate delivery meeting a live
   * lease gets LockBusyError (retryable) and finds the receipt committed when it comes back;
   * a lease left by a crash is taken over once it runs out. See {@link ReceiptWriteAttempt} and
   * docs/adapters.md#concurrent-duplicate-deliveries.
   */
  async create(details: ReceiptDetails): Promise<{ created: boolean; details: ReceiptDetails }> {
    // The receipt row is checked before anything is claimed (its fields especially: a row that
    // cannot be read back would hide the whole receipt). Lines and words are built by the layout.
    validated(ReceiptSchema, details.receipt, `receipt ${details.receipt.image_id}/${details.receipt.receipt_id}`);
    assertChildrenBelong(details);
    const { image_id: imageId, receipt_id: receiptId } = details.receipt;
    const attempt = new ReceiptWriteAttempt(this.table, this.clock, details, this.writeOptions);
    if ((await attempt.claim()) === 'committed') return this.existing(imageId, receiptId);
    try {
      await attempt.write();
      await attempt.commit();
    } catch (error) {
      // Another delivery owns the write now: its outcome is the receipt's, and its rows are not ours to touch.
      if (error instanceof LeaseLostError) return this.existing(imageId, receiptId, error);
      await attempt.rollback();
      throw error;
    }
    // A place row written before the receipt (not the pipeline's order, but possible by hand) is listed too.
    await this.syncListedPlace(imageId, receiptId, { onlyIfPlaced: true });
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

  /**
   * One UpdateItem of the receipt row's `fields` attribute, only on a committed receipt (a
   * WRITING row is not there yet for readers, and a missing one is never created here), with
   * the listing attributes the fields decide: the sort keys (the date) and the total in major
   * units. The row is read first for what the new sort key also needs (created_at, the owner).
   */
  async putFields(imageId: string, receiptId: number, fields: ReceiptFields): Promise<void> {
    const value = validated(ReceiptFieldsSchema, fields, `fields of receipt ${imageId}/${receiptId}`);
    const key = { PK: imagePk(imageId), SK: receiptSk(receiptId) };
    const row = await this.table.get(key);
    if (!row || !isCommittedReceiptItem(row)) throw new NotFoundError('receipt', `${imageId}/${receiptId}`);
    const receipt = { ...receiptFromItem(row), fields: value };
    const { GSI3SK, GSI4SK, GSI5SK, total_major } = receiptSortItem(receipt);
    try {
      await this.table.update({
        Key: key,
        UpdateExpression:
          'SET #fields = :fields, GSI3PK = :gsi3pk, GSI3SK = :sk3, GSI4SK = :sk4, GSI5SK = :sk5' +
          (total_major === undefined ? ' REMOVE #total' : ', #total = :total'),
        ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(write_state) OR write_state <> :writing)',
        ExpressionAttributeNames: { '#fields': 'fields', '#total': TOTAL_MAJOR },
        ExpressionAttributeValues: {
          ':fields': value,
          // Set again so that a row stored before listing existed is listed from its next fields on.
          ':gsi3pk': ownerReceiptsGsi3Pk(ownerOf(receipt)),
          ':sk3': GSI3SK,
          ':sk4': GSI4SK,
          ':sk5': GSI5SK,
          ':writing': 'WRITING',
          ...(total_major === undefined ? {} : { ':total': total_major }),
        },
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) {
        throw new NotFoundError('receipt', `${imageId}/${receiptId}`);
      }
      throw error;
    }
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

  /** Puts the place row, then lists the receipt under it ({@link syncListedPlace}). */
  async putPlace(place: ReceiptPlace): Promise<void> {
    await this.table.put(placeToItem(place));
    await this.syncListedPlace(place.image_id, place.receipt_id);
  }

  async getPlace(imageId: string, receiptId: number): Promise<ReceiptPlace | null> {
    const item = await this.table.get({ PK: imagePk(imageId), SK: placeSk(receiptId) });
    return item ? placeFromItem(item) : null;
  }

  async deletePlace(imageId: string, receiptId: number): Promise<void> {
    await this.table.delete({ PK: imagePk(imageId), SK: placeSk(receiptId) });
    await this.syncListedPlace(imageId, receiptId);
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

  /**
   * Copies the receipt's place, as the place row has it now, onto its receipt row: the
   * listing's view of it (`listed_place`) and the GSI4/GSI5 partition keys, or none of them
   * without a place_id. Two items, so not one atomic write: the place row is read again after
   * the receipt row was updated, and the copy is made again if it changed meanwhile. Whichever
   * concurrent writer updates the receipt row last then checks against the last place written,
   * so the row ends up agreeing with the place row (at most a few rounds under contention). A
   * missing receipt row has nothing to list; a failure part-way is repaired by the next write of
   * the place (a redelivery writes it again).
   */
  private async syncListedPlace(
    imageId: string,
    receiptId: number,
    options: { onlyIfPlaced?: boolean } = {},
  ): Promise<void> {
    const placeKey = { PK: imagePk(imageId), SK: placeSk(receiptId) };
    const rowKey = { PK: imagePk(imageId), SK: receiptSk(receiptId) };
    let placeItem = await this.table.get(placeKey);
    if (!placeItem && options.onlyIfPlaced) return;
    for (let round = 0; round < 5; round++) {
      const row = await this.table.get(rowKey);
      if (!row) return;
      const merchant = listedMerchant(placeItem ? placeFromItem(placeItem) : null);
      if (
        !sameRecord(listedPlaceFromItem(row), merchant) ||
        (merchant?.place_id != null) !== (row.GSI4PK !== undefined)
      ) {
        const attributes = listedPlaceItem(ownerOf(receiptFromItem(row)), merchant);
        const set = Object.keys(attributes);
        const removed = [LISTED_PLACE, 'GSI4PK', 'GSI5PK'].filter((name) => !set.includes(name));
        try {
          await this.table.update({
            Key: rowKey,
            UpdateExpression: [
              set.length > 0 ? `SET ${set.map((name) => `#${name} = :${name}`).join(', ')}` : '',
              removed.length > 0 ? `REMOVE ${removed.map((name) => `#${name}`).join(', ')}` : '',
            ].join(' '),
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeNames: Object.fromEntries([...set, ...removed].map((name) => [`#${name}`, name])),
            ...(set.length > 0
              ? {
                  ExpressionAttributeValues: Object.fromEntries(
                    Object.entries(attributes).map(([k, v]) => [`:${k}`, v]),
                  ),
                }
              : {}),
          });
        } catch (error) {
          if (error instanceof ConditionFailedError) return; // deleted meanwhile: nothing to list
          throw error;
        }
      }
      const now = await this.table.get(placeKey);
      if (sameRecord(now, placeItem)) return;
      placeItem = now;
    }
    throw new ConditionFailedError(`place of receipt ${imageId}/${receiptId} kept changing while it was listed`);
  }

  /** A put on condition the key is free: the first deletion's tombstone is the one kept. */
  async putTombstone(tombstone: ReceiptTombstone): Promise<void> {
    const record = validated(ReceiptTombstoneSchema, tombstone, 'receipt tombstone');
    await this.table.putIfAbsent(tombstoneToItem(record));
  }

  async getTombstone(imageId: string, receiptId: number): Promise<ReceiptTombstone | null> {
    const item = await this.table.get({ PK: imagePk(imageId), SK: tombstoneSk(receiptId) });
    return item ? tombstoneFromItem(item) : null;
  }

  /** One UpdateItem of the committed receipt row (SET or REMOVE `possible_duplicate_of`). */
  async putPossibleDuplicate(imageId: string, receiptId: number, of: ReceiptRef | null): Promise<void> {
    const ref = of === null ? null : validated(ReceiptRefSchema, of, `possible duplicate of ${imageId}/${receiptId}`);
    try {
      await this.table.update({
        Key: { PK: imagePk(imageId), SK: receiptSk(receiptId) },
        UpdateExpression: ref === null ? 'REMOVE #dup' : 'SET #dup = :dup',
        ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(write_state) OR write_state <> :writing)',
        ExpressionAttributeNames: { '#dup': 'possible_duplicate_of' },
        ExpressionAttributeValues: { ':writing': 'WRITING', ...(ref === null ? {} : { ':dup': ref }) },
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) throw new NotFoundError('receipt', `${imageId}/${receiptId}`);
      throw error;
    }
  }

  /** A put on condition the key is free; when it is not, the holder read strongly consistently. */
  async claimFingerprint(claim: ReceiptFingerprintClaim): Promise<ReceiptFingerprintClaim> {
    const record = validated(ReceiptFingerprintClaimSchema, claim, 'receipt fingerprint claim');
    const item = fingerprintClaimToItem(record);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.table.putIfAbsent(item)) return record;
      const held = await this.table.get(receiptFingerprintKey(record.owner, record.fingerprint));
      if (held) return fingerprintClaimFromItem(held);
    }
    throw new ConditionFailedError(`fingerprint claim of ${record.owner}/${record.fingerprint} keeps changing; retry`);
  }

  async releaseFingerprint(owner: string, fingerprint: string, imageId: string, receiptId: number): Promise<void> {
    try {
      await this.table.delete(receiptFingerprintKey(owner, fingerprint), {
        expression: 'image_id = :image AND receipt_id = :receipt',
        values: { ':image': imageId, ':receipt': receiptId },
      });
    } catch (error) {
      // Absent, or held by another receipt: not ours to remove.
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /** The committed receipt another delivery wrote; `otherwise` (or a ConditionFailedError) if there is none. */
  private async existing(
    imageId: string,
    receiptId: number,
    otherwise?: Error,
  ): Promise<{ created: false; details: ReceiptDetails }> {
    const stored = await this.get(imageId, receiptId);
    if (stored) return { created: false, details: stored };
    throw otherwise ?? new ConditionFailedError(`receipt ${imageId}/${receiptId} was deleted while being created`);
  }
}

/** Parses with `schema`, or throws ValidationError naming `what` and each issue's path. */
function validated<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ValidationError(`${what} is invalid`, issues);
  }
  return parsed.data;
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
