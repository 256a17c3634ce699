import type { Clock, Collection, Logger, VectorIndexFiles } from '@receiptflow/core';
import { exactTopK, type ScoredSlot } from './exact-search.js';
import { HnswGraph, type HnswGraphState, type HnswParams } from './hnsw-graph.js';
import { RecordTable } from './record-table.js';
import { ScoredHeap } from './scored-heap.js';
import { dotAt, type VectorQuantization } from './vector-math.js';
import { TableVectorIndex, type VectorIndexOp } from './table-vector-index.js';
import { UnknownSnapshotError } from '../errors.js';
import { parseSnapshotId, type SnapshotDescriptor } from './snapshot-catalog.js';
import { FsVectorIndexFiles } from './fs-vector-index-files.js';
import { readSnapshots, VectorIndexStore } from './vector-index-store.js';

export type { VectorQuantization } from './vector-math.js';

export interface HnswVectorIndexOptions {
  /** Directory that makes the index durable (append-only logs + snapshots); in memory when absent. */
  dir?: string;
  /**
   * The index's files through the {@link VectorIndexFiles} port (an S3 prefix, say) instead of
   * `dir`. No owner lock is taken on them: the caller makes sure no writer has them open (for
   * the s3 mode, compaction stopped; a concurrent manifest swap still makes this one's refuse).
   */
  files?: VectorIndexFiles;
  /** Vector length every record and query must have. Default 512. */
  dimensions?: number;
  /** Graph links per node (layer 0 has 2M). Default 16. */
  M?: number;
  /** Beam width of a full insert (a rebuild, a repair). Default 100. */
  efConstruction?: number;
  /**
   * How an upserted record (compaction's merges, log replay) enters the graph. 0, the default:
   * appended unlinked, at a cost that does not grow with the index; queries scan such records
   * exactly until {@link HnswVectorIndex.repair} links them with the full efConstruction beam,
   * and {@link HnswVectorIndex.checkpoint} links them first, so snapshots hold full-beam graphs
   * (issue 18, P2: a narrow-beam insert at merge time cost a graph walk that grew with the index,
   * and the repair then paid the walk again). A positive beam links each record at once with
   * that beam (capped at efConstruction) and leaves nothing to repair: a bulk build sets
   * efConstruction.
   */
  insertEf?: number;
  /**
   * Most unlinked records a collection keeps: past it, each mutation links the oldest ones
   * (full beam) before it returns. Why: every graph query also scans the unlinked records, so
   * this bounds that scan (about 1 ms of CPU a query per 1,000 records at 512 dimensions,
   * measured). Owners that repair when idle keep the backlog lower (the local runtime's
   * `repairBacklogLimit`); this is the bound for those that never do (a follower, a one-shot
   * CLI run). Default 2,000. A per-collection object sets it for the collections it names (the
   * others keep 2,000): an owner whose queries never search a collection by vector may let that
   * one's backlog wait for idle time longer (the local runtime: `words`, issue 18, P8).
   */
  maxUnlinked?: number | Partial<Record<Collection, number>>;
  /**
   * Beam width while querying (at least k). Default 192: on 200k receipt-line vectors,
   * tie-aware recall@10 is 0.983 at 128 and levels off at 0.991 from 160 up (`pnpm bench`).
   */
  efSearch?: number;
  /** Filtered candidate sets at most this large are searched exactly. Default 2000. */
  exactFilterLimit?: number;
  /** fsync every log append (durable against power loss, not just process crashes). Default true. */
  fsync?: boolean;
  /**
   * Snapshots kept in `dir/snapshots/` after each checkpoint, newest first (the live one is
   * always kept too). Default 3: enough to step back over a bad compaction or two.
   */
  keepSnapshots?: number;
  /**
   * How the graph walk scores vectors. `'none'` (the default) walks the float32 unit vectors.
   * `'int8'` walks int8 codes of them (one byte a dimension and a scale a vector, derived, never
   * stored) and rescores the whole final beam with the float32 vectors, so returned scores stay
   * exact and recall@10 stays within a point of float32's on receipt lines (`pnpm bench --scale`).
   * The float32 vectors stay in memory too: this mode costs 516 B a vector more (at 512 dims),
   * it does not save memory yet (docs/benchmarks.md, P7). Snapshots record the mode; reopening
   * in the other one throws `VectorIndexModeMismatchError`.
   */
  quantization?: VectorQuantization;
  /**
   * Slots each collection allocates up front (records, graph). Default 1024, doubling as it
   * fills; a bulk build of known size sets it so that no doubling copy inflates peak memory.
   */
  capacity?: number;
  /** Seed for the graph's level draws. Default 42. */
  seed?: number;
  /** Stamps snapshot descriptors (`created_at`). Default SystemClock. */
  clock?: Clock;
  /** Where a dropped torn log tail is reported; silent by default. */
  logger?: Logger;
}

/** Append unlinked, link in {@link HnswVectorIndex.repair} (see the `insertEf` option). */
const DEFAULT_INSERT_EF = 0;
const DEFAULT_MAX_UNLINKED = 2_000;

export interface CollectionGraph {
  table: RecordTable;
  graph: HnswGraph;
}

/**
 * The default vector index: an HNSW graph per collection over float32 unit vectors, with an
 * inverted metadata index. A query costs about the same at 2k and 200k vectors: unfiltered and
 * broadly filtered queries walk the graph (filtered ones keep walking until the beam holds
 * enough matches); selective filters are answered exactly over the matching set, which is
 * cheaper than walking a graph mostly made of non-matches.
 *
 * With `dir`, every mutation is appended to a per-collection log before it is applied, so an
 * upsert writes O(records) bytes; {@link checkpoint} folds the logs into snapshots (graph
 * included, so reopening does not rebuild it). One process owns a directory at a time.
 */
export class HnswVectorIndex extends TableVectorIndex {
  protected readonly graphs = new Map<Collection, CollectionGraph>();
  private readonly params: HnswParams;
  private readonly efSearch: number;
  /**
   * How the next upserts enter the graph (see the `insertEf` option): 0 appends unlinked, else
   * the beam of an immediate insert. May be changed between operations: a bulk build that should
   * leave nothing to repair sets it to efConstruction.
   */
  insertEf: number;
  private readonly maxUnlinked: (collection: Collection) => number;
  private readonly exactFilterLimit: number;
  private readonly heap = new ScoredHeap(128);
  private readonly store: VectorIndexStore | undefined;
  private readonly loaded: Promise<void>;
  private marks = new Uint8Array(1024);
  /** See the `quantization` option. */
  readonly quantization: VectorQuantization;
  private readonly capacity: number;

  /**
   * In memory without `dir`. With `dir`, durable: loading the latest snapshot and replaying the log
   * after it starts here, and every operation waits for it; {@link HnswVectorIndex.open} does the
   * same and surfaces a load failure at once.
   *
   * @example
   * const memory = new HnswVectorIndex({ dimensions: 512 });
   * const durable = await HnswVectorIndex.open(join(dataDir, 'vectors'), { dimensions: 512 });
   * const matches = await durable.query('lines', { vector, k: 10 });
   */
  constructor(options: HnswVectorIndexOptions = {}) {
    super(options.dimensions ?? 512);
    this.params = { M: options.M ?? 16, efConstruction: options.efConstruction ?? 100, seed: options.seed ?? 42 };
    this.efSearch = options.efSearch ?? 192;
    this.insertEf = Math.max(0, Math.min(options.insertEf ?? DEFAULT_INSERT_EF, this.params.efConstruction));
    const maxUnlinked = options.maxUnlinked ?? DEFAULT_MAX_UNLINKED;
    this.maxUnlinked =
      typeof maxUnlinked === 'number'
        ? () => Math.max(0, maxUnlinked)
        : (collection) => Math.max(0, maxUnlinked[collection] ?? DEFAULT_MAX_UNLINKED);
    this.exactFilterLimit = options.exactFilterLimit ?? 2000;
    this.quantization = options.quantization ?? 'none';
    this.capacity = Math.max(1, options.capacity ?? 1024);
    const files =
      options.files ??
      (options.dir ? new FsVectorIndexFiles(options.dir, { fsync: options.fsync ?? true }) : undefined);
    this.store = files
      ? new VectorIndexStore(files, {
          dimensions: this.dimensions,
          quantization: this.quantization,
          ...(options.dir && !options.files ? { ownerDir: options.dir } : {}),
          ...(options.keepSnapshots !== undefined ? { keepSnapshots: options.keepSnapshots } : {}),
          ...(options.logger ? { logger: options.logger } : {}),
          ...(options.clock ? { clock: options.clock } : {}),
        })
      : undefined;
    this.loaded = this.store ? this.load(this.store) : Promise.resolve();
    // An unawaited failed load must not crash the process; every operation awaits it again.
    this.loaded.catch(() => undefined);
  }

  /** Opens (or creates) a persisted index in `dir`, loading its snapshots and replaying its logs. */
  static async open(dir: string, options: Omit<HnswVectorIndexOptions, 'dir'> = {}): Promise<HnswVectorIndex> {
    const index = new HnswVectorIndex({ ...options, dir });
    await index.loaded;
    return index;
  }

  /**
   * Opens a persisted index through its {@link VectorIndexFiles} (see `files`), loading its
   * snapshots and replaying its logs; no owner lock is taken.
   *
   * @example
   * const index = await HnswVectorIndex.openFiles(new FsVectorIndexFiles(dir), { dimensions: 512 });
   */
  static async openFiles(
    files: VectorIndexFiles,
    options: Omit<HnswVectorIndexOptions, 'dir' | 'files'> = {},
  ): Promise<HnswVectorIndex> {
    const index = new HnswVectorIndex({ ...options, files });
    await index.loaded;
    return index;
  }

  /**
   * Folds each collection's log into a fresh snapshot (`dir/snapshots/<id>/`) and starts an
   * empty log, swapping the manifest atomically; older snapshots beyond `keepSnapshots` are
   * removed. Never needed for correctness; it bounds reopen time and disk use, and each snapshot
   * is a point {@link restoreSnapshot} can return to. Returns the snapshot written (none in memory).
   */
  async checkpoint(): Promise<SnapshotDescriptor | undefined> {
    await this.loaded;
    const store = this.store;
    if (!store) return undefined;
    return this.exclusive(() => {
      this.repairAll();
      return store.checkpoint(this.graphs);
    });
  }

  /** Records appended unlinked (`insertEf` 0) and not yet linked by a repair, over all collections. */
  get pendingRepairs(): number {
    let n = 0;
    for (const { graph } of this.graphs.values()) n += graph.pendingRepairs;
    return n;
  }

  /** {@link pendingRepairs} of one collection: what each of its graph queries scans exactly. */
  pendingRepairsOf(collection: Collection): number {
    return this.graphs.get(collection)?.graph.pendingRepairs ?? 0;
  }

  /**
   * Links up to `max` unlinked records (all by default), oldest first, with the full
   * efConstruction beam, between other operations: of every collection, or of `collection` only.
   * Owners call it when idle (the local runtime while the next receipt is in OCR, or when the
   * pipeline is idle); a checkpoint does it anyway. Until then queries scan those records
   * exactly. Returns how many records left the backlog.
   *
   * @example
   * await index.upsert('lines', records); // fast: appended unlinked
   * await index.repair(); // later, off the hot path
   * await index.repair(8, 'lines'); // or a step of one collection's backlog
   */
  async repair(max = Number.POSITIVE_INFINITY, collection?: Collection): Promise<number> {
    await this.loaded;
    return this.exclusive(async () => this.repairAll(max, collection));
  }

  /** {@link repair} inside the mutation lock the caller already holds. */
  protected repairAll(max = Number.POSITIVE_INFINITY, collection?: Collection): number {
    let done = 0;
    for (const [name, { graph }] of this.graphs) {
      if (collection === undefined || name === collection) done += graph.repair(max - done);
    }
    return done;
  }

  /**
   * The snapshots a persisted index directory holds, oldest first. Takes no lock.
   *
   * @example
   * for (const s of await HnswVectorIndex.listSnapshots(dir)) console.log(s.id, s.created_at);
   */
  static listSnapshots(dir: string | VectorIndexFiles): Promise<SnapshotDescriptor[]> {
    return readSnapshots(typeof dir === 'string' ? new FsVectorIndexFiles(dir) : dir);
  }

  /**
   * Makes snapshot `id` the live state of the index in `dir`, which no other process may have
   * open. Operations logged since the last checkpoint are first folded into a new snapshot, so
   * nothing is thrown away: restoring that newer id undoes the restore. An id the directory does
   * not hold throws {@link UnknownSnapshotError} before anything is changed.
   *
   * `dir` may instead be the index's {@link VectorIndexFiles} (the s3 mode's `S3VectorIndexFiles`
   * on one collection prefix): the same restore, with no owner lock, so compaction must be
   * stopped. The manifest is replaced only from the version this restore read (a writer's swap
   * meanwhile makes it throw `StaleFencingTokenError`, having promoted nothing) and keeps its
   * fencing token, so compaction's next lease (a newer token) continues the restored index.
   *
   * @example
   * await HnswVectorIndex.restoreSnapshot('data/vectors', '7', { dimensions: 512 });
   * await HnswVectorIndex.restoreSnapshot(new S3VectorIndexFiles(s3, { bucket, prefix: 'vectors/index/lines' }), '7');
   */
  static async restoreSnapshot(
    dir: string | VectorIndexFiles,
    id: string | number,
    options: Omit<HnswVectorIndexOptions, 'dir' | 'files'> = {},
  ): Promise<SnapshotDescriptor> {
    const files = typeof dir === 'string' ? new FsVectorIndexFiles(dir) : dir;
    const wanted = typeof id === 'number' ? id : parseSnapshotId(id);
    const available = await readSnapshots(files);
    if (wanted === undefined || !available.some((s) => s.id === wanted))
      throw new UnknownSnapshotError(
        files.location,
        String(id),
        available.map((s) => s.id),
      );
    const dimensions = options.dimensions ?? available.find((s) => s.id === wanted)!.dimensions;
    const index =
      typeof dir === 'string'
        ? await HnswVectorIndex.open(dir, { ...options, dimensions })
        : await HnswVectorIndex.openFiles(dir, { ...options, dimensions });
    try {
      const store = index.store!;
      return await index.exclusive(async () => {
        if (store.opsSinceCheckpoint > 0) {
          index.repairAll();
          await store.checkpoint(index.graphs, wanted);
        }
        return store.restore(wanted);
      });
    } finally {
      await index.close();
    }
  }

  /**
   * Log operations a reopen would replay on top of the snapshots: reopen time grows with this,
   * so a long-running owner checkpoints when it gets large. 0 for an in-memory index.
   */
  get opsSinceCheckpoint(): number {
    return this.store?.opsSinceCheckpoint ?? 0;
  }

  /** Closes log files; the index must not be used afterwards. */
  async close(): Promise<void> {
    await this.loaded.catch(() => undefined);
    await this.exclusive(async () => this.store?.close());
  }

  protected override ready(): Promise<void> {
    return this.loaded;
  }

  protected override async beforeApply(collection: Collection, op: VectorIndexOp): Promise<void> {
    await this.store?.append(collection, op);
  }

  protected override table(collection: Collection): RecordTable {
    return this.graphOf(collection).table;
  }

  protected override onAppended(collection: Collection, _table: RecordTable, slot: number): void {
    const { graph } = this.graphOf(collection);
    if (this.insertEf === 0) graph.append(slot);
    else graph.insert(slot, this.insertEf);
  }

  /**
   * Links the oldest unlinked records past `maxUnlinked`. Then tombstones: they cost memory and
   * search time; once they outnumber live records, rebuild the collection from its live records.
   * Each record pays for this at most once per deletion, so the cost is amortised over the
   * deletes that caused it.
   */
  protected override afterApply(collection: Collection): void {
    const current = this.graphOf(collection);
    const { table } = current;
    // The backlog every graph query scans stays bounded even for an owner that never repairs.
    const over = current.graph.pendingRepairs - this.maxUnlinked(collection);
    if (over > 0) current.graph.repair(over);
    if (table.deadCount <= Math.max(1000, table.liveCount)) return;
    const fresh = new RecordTable(this.dimensions, Math.max(1024, table.liveCount), this.quantization);
    const graph = new HnswGraph(fresh, this.params, fresh.norms.length);
    const dims = this.dimensions;
    for (let slot = 0; slot < table.size; slot++) {
      if (table.alive[slot] !== 1) continue;
      const unit = table.vectors.subarray(slot * dims, (slot + 1) * dims);
      fresh.restore(table.ids[slot]!, unit, table.norms[slot]!, table.documents[slot]!, table.metadata[slot]!, true);
      graph.insert(fresh.size - 1);
    }
    this.graphs.set(collection, { table: fresh, graph });
    this.tables.set(collection, fresh);
  }

  protected search(
    collection: Collection,
    table: RecordTable,
    query: Float32Array,
    k: number,
    candidates: number[] | undefined,
  ): ScoredSlot[] {
    const { graph } = this.graphOf(collection);
    const ef = Math.max(this.efSearch, k);
    const alive = table.alive;
    if (!candidates) {
      // Small collections: a scan is as cheap as the graph walk and exact.
      if (table.liveCount <= ef) return exactTopK(table, query, k, undefined, this.heap);
      return this.rescored(
        table,
        query,
        k,
        graph.search(query, this.walkK(k, ef), ef, (slot) => alive[slot] === 1),
      );
    }
    if (this.prefersExact(candidates.length, table.liveCount, ef, graph.M0)) {
      return exactTopK(table, query, k, candidates, this.heap);
    }
    const marks = this.markSlots(table.size, candidates);
    try {
      const found = graph.search(query, this.walkK(k, ef), ef, (slot) => marks[slot] === 1 && alive[slot] === 1);
      return this.rescored(table, query, k, found);
    } finally {
      for (const slot of candidates) marks[slot] = 0;
    }
  }

  /** How many of the walk's beam to keep: all of it when it is rescored (int8), else k. */
  private walkK(k: number, ef: number): number {
    return this.quantization === 'int8' ? ef : k;
  }

  /**
   * The walk's results as returned: unchanged for float32; for int8, every beam slot rescored
   * with its float32 vector and the best k kept, so the approximate codes only steer the walk.
   */
  private rescored(table: RecordTable, query: Float32Array, k: number, found: ScoredSlot[]): ScoredSlot[] {
    if (this.quantization === 'none') return found;
    const dims = table.dimensions;
    const vectors = table.vectors;
    for (const hit of found) hit.score = dotAt(query, 0, vectors, hit.slot * dims, dims);
    found.sort((a, b) => b.score - a.score);
    return found.length > k ? found.slice(0, k) : found;
  }

  /**
   * Cost model for a filtered query: an exact scan costs one dot product per candidate; a graph
   * walk must visit about ef / selectivity nodes, each evaluating up to M0 neighbours.
   */
  private prefersExact(candidates: number, live: number, ef: number, M0: number): boolean {
    if (candidates <= this.exactFilterLimit) return true;
    const walk = ef * M0 * (live / candidates);
    return candidates <= walk;
  }

  private markSlots(size: number, slots: readonly number[]): Uint8Array {
    if (this.marks.length < size) this.marks = new Uint8Array(Math.max(size, this.marks.length * 2));
    const marks = this.marks;
    for (const slot of slots) marks[slot] = 1;
    return marks;
  }

  private graphOf(collection: Collection): CollectionGraph {
    let entry = this.graphs.get(collection);
    if (!entry) {
      const table = new RecordTable(this.dimensions, this.capacity, this.quantization);
      entry = { table, graph: new HnswGraph(table, this.params, this.capacity) };
      this.graphs.set(collection, entry);
      this.tables.set(collection, table);
    }
    return entry;
  }

  /** Replaces a collection's memory with a decoded snapshot (graph included, no rebuild). */
  protected restoreCollection(collection: Collection, table: RecordTable, graphState: HnswGraphState): void {
    const graph = HnswGraph.restore(table, this.params, graphState);
    this.graphs.set(collection, { table, graph });
    this.tables.set(collection, table);
  }

  /** Forgets every collection (a follower reloading from a snapshot starts here). */
  protected clearCollections(): void {
    this.graphs.clear();
    this.tables.clear();
  }

  private async load(store: VectorIndexStore): Promise<void> {
    await store.open({
      restore: (collection, table, graphState) => this.restoreCollection(collection, table, graphState),
      replay: (collection, op) => this.apply(collection, op),
    });
  }
}
