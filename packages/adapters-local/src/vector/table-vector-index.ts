import type {
  Collection,
  MetadataFilter,
  VectorIndex,
  VectorMatch,
  VectorMetadata,
  VectorQuery,
  VectorRecord,
} from '@receiptflow/core';
import type { ScoredSlot } from './exact-search.js';
import { withoutNulls } from './metadata.js';
import { RecordTable } from './record-table.js';
import { validateQuery, validateRecords } from './validation.js';
import { clampScore, normalized } from './vector-math.js';
import { yieldToEventLoop } from '../yield-to-event-loop.js';

/**
 * Records applied between two turns of the event loop in one upsert: each is a graph insert of
 * about 1 ms at 200k vectors, so a slice holds the loop for about 10 ms (a few times that on a
 * loaded machine), where a receipt's few hundred words in one go held `receipts serve`'s HTTP
 * server for hundreds (issue 18, P8). A turn costs microseconds.
 */
export const UPSERT_SLICE = 8;

/** One mutation, as applied in memory and (for a persisted index) appended to its log first. */
export type VectorIndexOp =
  | { op: 'upsert'; records: VectorRecord[] }
  | { op: 'delete'; ids: string[] }
  | { op: 'patch'; ids: string[]; patch: VectorMetadata };

/**
 * What the exact and HNSW indexes share: records, filters and metadata semantics live in a
 * {@link RecordTable} per collection; subclasses supply the nearest-neighbour search, and may
 * persist each mutation (`beforeApply`) before it touches memory. Mutations are serialised so
 * that memory and log see them in the same order.
 */
export abstract class TableVectorIndex implements VectorIndex {
  protected readonly tables = new Map<Collection, RecordTable>();
  private queue: Promise<unknown> = Promise.resolve();

  protected constructor(readonly dimensions: number) {}

  /** Nearest live slots to the unit vector `query`, best first; `candidates` is the filtered set. */
  protected abstract search(
    collection: Collection,
    table: RecordTable,
    query: Float32Array,
    k: number,
    candidates: number[] | undefined,
  ): ScoredSlot[];

  /** Awaited by every operation first; a persisted index finishes loading here. */
  protected async ready(): Promise<void> {}

  /** Called with every mutation before it is applied; a persisted index appends it here. */
  protected async beforeApply(_collection: Collection, _op: VectorIndexOp): Promise<void> {}

  /** A record was stored in a fresh slot (insert it into a graph, say). */
  protected onAppended(_collection: Collection, _table: RecordTable, _slot: number): void {}

  /** After each applied mutation (rebuild when tombstones pile up, say). */
  protected afterApply(_collection: Collection): void {}

  async upsert(collection: Collection, records: VectorRecord[]): Promise<void> {
    await this.ready();
    const unique = validateRecords(records, this.dimensions);
    if (unique.length === 0) return;
    await this.exclusive(async () => {
      await this.beforeApply(collection, { op: 'upsert', records: unique });
      // Logged whole above, so a crash replays all of it; applied in slices with a turn of the
      // event loop between them (other mutations still wait: this holds the mutation queue).
      for (let i = 0; i < unique.length; i += UPSERT_SLICE) {
        if (i > 0) await yieldToEventLoop();
        this.apply(collection, { op: 'upsert', records: unique.slice(i, i + UPSERT_SLICE) });
      }
    });
  }

  async delete(collection: Collection, ids: string[]): Promise<void> {
    await this.ready();
    await this.exclusive(async () => {
      const present = this.presentIds(collection, ids);
      if (present.length === 0) return;
      await this.beforeApply(collection, { op: 'delete', ids: present });
      this.apply(collection, { op: 'delete', ids: present });
    });
  }

  async deleteWhere(collection: Collection, where: MetadataFilter): Promise<number> {
    await this.ready();
    return this.exclusive(async () => {
      const ids = await this.findIds(collection, where);
      if (ids.length === 0) return 0;
      await this.beforeApply(collection, { op: 'delete', ids });
      this.apply(collection, { op: 'delete', ids });
      return ids.length;
    });
  }

  async get(collection: Collection, ids: string[]): Promise<VectorRecord[]> {
    await this.ready();
    const table = this.tables.get(collection);
    if (!table) return [];
    const out: VectorRecord[] = [];
    for (const id of ids) {
      const slot = table.slotOf(id);
      if (slot !== undefined) out.push(table.record(slot));
    }
    return out;
  }

  async findIds(collection: Collection, where: MetadataFilter): Promise<string[]> {
    await this.ready();
    const table = this.tables.get(collection);
    if (!table) return [];
    return table.matchingSlots(where).map((slot) => table.ids[slot]!);
  }

  async updateMetadata(collection: Collection, ids: string[], patch: VectorMetadata): Promise<number> {
    await this.ready();
    return this.exclusive(async () => {
      const present = this.presentIds(collection, ids);
      if (present.length === 0) return 0;
      await this.beforeApply(collection, { op: 'patch', ids: present, patch });
      this.apply(collection, { op: 'patch', ids: present, patch });
      return present.length;
    });
  }

  async query(collection: Collection, query: VectorQuery): Promise<VectorMatch[]> {
    await this.ready();
    validateQuery(query, this.dimensions);
    const table = this.tables.get(collection);
    if (!table || table.liveCount === 0) return [];
    const candidates = table.candidates(query.where);
    if (candidates && candidates.length === 0) return [];
    const hits = this.search(collection, table, normalized(query.vector), query.k, candidates);
    return hits.map(({ slot, score }) => table.match(slot, clampScore(score)));
  }

  async count(collection: Collection): Promise<number> {
    await this.ready();
    return this.tables.get(collection)?.liveCount ?? 0;
  }

  /** Applies a mutation to memory (also used to replay a log). */
  protected apply(collection: Collection, change: VectorIndexOp): void {
    const table = this.table(collection);
    if (change.op === 'upsert') {
      for (const record of change.records) {
        const existing = table.slotOf(record.id);
        // Redelivered compaction re-upserts identical vectors: update in place, no new slot.
        if (existing !== undefined && table.hasVector(existing, record.vector)) {
          table.setDocument(existing, record.document);
          table.setMetadata(existing, withoutNulls(record.metadata));
          continue;
        }
        if (existing !== undefined) table.kill(existing);
        this.onAppended(collection, table, table.append(record));
      }
    } else {
      for (const id of change.ids) {
        const slot = table.slotOf(id);
        if (slot === undefined) continue;
        if (change.op === 'delete') table.kill(slot);
        else table.patch(slot, change.patch);
      }
    }
    this.afterApply(collection);
  }

  protected table(collection: Collection): RecordTable {
    let table = this.tables.get(collection);
    if (!table) this.tables.set(collection, (table = new RecordTable(this.dimensions)));
    return table;
  }

  /** Runs mutations one at a time, in call order, even when one of them fails. */
  protected exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private presentIds(collection: Collection, ids: string[]): string[] {
    const table = this.tables.get(collection);
    if (!table) return [];
    return [...new Set(ids)].filter((id) => table.slotOf(id) !== undefined);
  }
}
