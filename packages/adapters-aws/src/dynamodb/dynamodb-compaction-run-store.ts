import {
  COLLECTIONS,
  COLLECTION_TRANSITIONS,
  ConditionFailedError,
  NotFoundError,
  assertTransition,
  isSettledCollectionState,
  isoNow,
  type Collection,
  type CollectionPatch,
  type CollectionState,
  type CompactionRun,
  type CompactionRunRef,
  type CompactionRunStore,
} from '@receiptflow/core';
import {
  UNFINISHED_RUNS_GSI1PK,
  compactionRunSk,
  compactionRunsPrefix,
  imagePk,
  type TableKey,
} from '@receiptflow/job-table';
import { createOrMatch } from './conditional-create.js';
import { DynamoDbJobTableStore } from './dynamodb-job-table-store.js';
import {
  compactionRunFromItem,
  compactionRunToItem,
  isFinishedRun,
  progressAttribute,
  type Item,
} from './item-codec.js';

/**
 * CompactionRunStore over the DynamoDB job table. Each collection's progress is stored flat
 * (`lines_state`, `words_merged_count`, …) so a transition names only its own collection's
 * attributes; unfinished runs sit in a sparse GSI1 partition the sweep queries, and leave it
 * once both collections are COMPLETED.
 *
 * @example
 * const runs = new DynamoDbCompactionRunStore(doc, { tableName: 'receiptflow-jobs', clock });
 * await runs.transitionCollection(ref, 'lines', 'PROCESSING', 'COMPLETED', { merged_count: 12 });
 */
export class DynamoDbCompactionRunStore extends DynamoDbJobTableStore implements CompactionRunStore {
  async create(run: CompactionRun): Promise<void> {
    await createOrMatch(
      this.table,
      compactionRunToItem(run),
      run,
      compactionRunFromItem,
      `compaction run ${run.run_id}`,
    );
  }

  async get(ref: CompactionRunRef): Promise<CompactionRun | null> {
    const item = await this.table.get(keyOf(ref));
    return item ? compactionRunFromItem(item) : null;
  }

  async list(imageId: string, receiptId: number): Promise<CompactionRun[]> {
    const items = await this.table.queryPrefix(imagePk(imageId), compactionRunsPrefix(receiptId));
    return items
      .map(compactionRunFromItem)
      .sort((a, b) =>
        a.created_at !== b.created_at ? (a.created_at < b.created_at ? -1 : 1) : a.run_id < b.run_id ? -1 : 1,
      );
  }

  async transitionCollection(
    ref: CompactionRunRef,
    collection: Collection,
    from: CollectionState,
    to: CollectionState,
    patch: CollectionPatch = {},
  ): Promise<CompactionRun> {
    assertTransition(`CompactionRun.${collection}`, COLLECTION_TRANSITIONS, from, to);
    const key = keyOf(ref);
    const attr = (field: 'state' | 'updated_at' | 'merged_count' | 'error' | 'attempts') =>
      progressAttribute(collection, field);
    // Only this collection's attributes are named: a concurrent update of the other
    // collection can never be overwritten (no read-modify-write).
    const sets = [`${attr('state')} = :to`, `${attr('updated_at')} = :now`];
    const values: Record<string, unknown> = { ':to': to, ':from': from, ':now': isoNow(this.clock) };
    if (patch.merged_count !== undefined) {
      sets.push(`${attr('merged_count')} = :merged`);
      values[':merged'] = patch.merged_count;
    }
    if (patch.error !== undefined) {
      sets.push(`${attr('error')} = :error`);
      values[':error'] = patch.error;
    }
    // Every merge started counts (re-entries into PROCESSING after a crash included); ADD treats
    // an absent attribute (a row from before attempts were counted) as 0.
    const add = to === 'PROCESSING' ? ` ADD ${attr('attempts')} :one` : '';
    if (add) values[':one'] = 1;
    let item: Item;
    try {
      item = await this.table.update({
        Key: key,
        UpdateExpression: `SET ${sets.join(', ')}${add}`,
        ConditionExpression: `attribute_exists(PK) AND ${attr('state')} = :from`,
        ExpressionAttributeValues: values,
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const current = await this.get(ref);
      if (current === null) throw new NotFoundError('compaction run', ref.run_id);
      throw new ConditionFailedError(
        `compaction run ${ref.run_id} ${collection} is ${current[collection].state}, expected ${from} for ${from} -> ${to}`,
        { cause: error },
      );
    }
    const run = compactionRunFromItem(item);
    if (isFinishedRun(run)) await this.dropFromSweepIndex(key);
    return run;
  }

  async listUnfinished(olderThan: string, limit = this.defaultListLimit): Promise<CompactionRun[]> {
    // The index entry is dropped after both collections complete; a failed drop leaves a
    // finished run in the index, so finished runs are also filtered out here. Abandoned runs stay
    // in the index (an operator lists them there) but are filtered out server-side too, and the
    // query pages on until `limit` runs pass the filter: they can never crowd out the rest.
    const settled = (c: Collection) => `(${c}_state = :done OR ${c}_state = :abandoned)`;
    const items = await this.table.query(
      {
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK < :older',
        FilterExpression: `NOT (${settled('lines')} AND ${settled('words')})`,
        ExpressionAttributeValues: {
          ':pk': UNFINISHED_RUNS_GSI1PK,
          ':older': olderThan,
          ':done': 'COMPLETED',
          ':abandoned': 'ABANDONED',
        },
      },
      limit,
    );
    return items
      .map(compactionRunFromItem)
      .filter((run) => run.created_at < olderThan && !COLLECTIONS.every((c) => isSettledCollectionState(run[c].state)));
  }

  private async dropFromSweepIndex(key: TableKey): Promise<void> {
    try {
      await this.table.update({
        Key: key,
        UpdateExpression: 'REMOVE GSI1PK, GSI1SK',
        ConditionExpression: 'lines_state = :done AND words_state = :done',
        ExpressionAttributeValues: { ':done': 'COMPLETED' },
      });
    } catch {
      // Only an optimisation: the sweep filters finished runs on read.
    }
  }
}

const keyOf = (ref: CompactionRunRef): TableKey => ({
  PK: imagePk(ref.image_id),
  SK: compactionRunSk(ref.receipt_id, ref.run_id),
});
