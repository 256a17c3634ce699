import { HnswInvariantError } from '../errors.js';
import { drainBestFirst, type ScoredSlot } from './exact-search.js';
import type { RecordTable } from './record-table.js';
import { ScoredHeap } from './scored-heap.js';
import { dotAt, dotCodeAt, grown } from './vector-math.js';

export interface HnswParams {
  /** Links per node on upper layers; layer 0 allows 2M. */
  M: number;
  /** Beam width while inserting; higher builds slower and better. */
  efConstruction: number;
  /** Seed for level assignment, so that builds are reproducible. */
  seed: number;
}

/** The graph's arrays, for snapshots. */
export interface HnswGraphState {
  /** The M the graph was built with; it fixes the link layout. */
  M: number;
  size: number;
  entry: number;
  maxLevel: number;
  levels: Uint8Array;
  links0: Int32Array;
  counts0: Uint16Array;
  /** Similarity of each layer-0 link (parallel to links0). */
  scores0: Float32Array;
  /** Upper-layer blocks of every node with level > 0, in slot order: per level [count, ...M ids]. */
  upper: Int32Array;
}

const MAX_LEVEL = 16;

/**
 * A Hierarchical Navigable Small World graph (Malkov & Yashunin) over the unit vectors of a
 * {@link RecordTable}; similarity is the dot product. Layer-0 links live in one flat Int32Array
 * so that a search touches contiguous memory; the few upper-layer nodes keep small blocks. Dead
 * (tombstoned) slots stay in the graph as stepping stones and are filtered out of results.
 */
export class HnswGraph {
  readonly M: number;
  readonly M0: number;
  entry = -1;
  maxLevel = -1;
  /** Slots inserted so far (the graph covers slots 0..size-1). */
  size = 0;
  private levels: Uint8Array;
  private links0: Int32Array;
  private counts0: Uint16Array;
  /** Similarity of each layer-0 link, so a full list can drop its farthest without recomputing. */
  private scores0: Float32Array;
  private upper: (Int32Array | undefined)[] = [];
  private visited: Uint32Array;
  private visitTag = 0;
  private readonly candidates = new ScoredHeap(256);
  private readonly results = new ScoredHeap(256);
  private readonly levelFactor: number;
  private randomState: number;
  /**
   * Slots appended unlinked ({@link append}), oldest first; those before `unlinkedHead` are
   * linked already (a head index, so that taking a step off a long backlog copies nothing).
   */
  private unlinked: number[] = [];
  private unlinkedHead = 0;

  /** `capacity`: slots to allocate up front (a bulk build of known size grows no arrays). */
  constructor(
    private readonly table: RecordTable,
    readonly params: HnswParams,
    capacity = 1024,
  ) {
    this.M = params.M;
    this.M0 = params.M * 2;
    this.levelFactor = 1 / Math.log(params.M);
    this.randomState = params.seed >>> 0 || 1;
    this.levels = new Uint8Array(capacity);
    this.links0 = new Int32Array(capacity * this.M0);
    this.counts0 = new Uint16Array(capacity);
    this.scores0 = new Float32Array(capacity * this.M0);
    this.visited = new Uint32Array(capacity);
  }

  /** A graph read back from a snapshot of the same table. */
  static restore(table: RecordTable, params: HnswParams, state: HnswGraphState): HnswGraph {
    const graph = new HnswGraph(table, { ...params, M: state.M }, Math.max(1024, state.size));
    graph.ensureCapacity(state.size);
    graph.size = state.size;
    graph.entry = state.entry;
    graph.maxLevel = state.maxLevel;
    graph.levels.set(state.levels.subarray(0, state.size));
    graph.links0.set(state.links0.subarray(0, state.size * graph.M0));
    graph.counts0.set(state.counts0.subarray(0, state.size));
    graph.scores0.set(state.scores0.subarray(0, state.size * graph.M0));
    const block = graph.M + 1;
    let offset = 0;
    for (let slot = 0; slot < state.size; slot++) {
      const level = graph.levels[slot]!;
      if (level === 0) continue;
      graph.upper[slot] = state.upper.slice(offset, offset + level * block);
      offset += level * block;
    }
    return graph;
  }

  /** The graph's arrays; every slot must be linked first ({@link repair}): a snapshot has no backlog. */
  state(): HnswGraphState {
    if (this.pendingRepairs > 0)
      throw new HnswInvariantError(`HNSW state taken with ${this.pendingRepairs} unlinked slots; repair first`);
    const block = this.M + 1;
    let total = 0;
    for (let slot = 0; slot < this.size; slot++) total += this.levels[slot]! * block;
    const upper = new Int32Array(total);
    let offset = 0;
    for (let slot = 0; slot < this.size; slot++) {
      const links = this.upper[slot];
      if (!links) continue;
      upper.set(links, offset);
      offset += links.length;
    }
    return {
      M: this.M,
      size: this.size,
      entry: this.entry,
      maxLevel: this.maxLevel,
      levels: this.levels.subarray(0, this.size),
      links0: this.links0.subarray(0, this.size * this.M0),
      counts0: this.counts0.subarray(0, this.size),
      scores0: this.scores0.subarray(0, this.size * this.M0),
      upper,
    };
  }

  /**
   * Links `slot` (the next slot of the table) into the graph at once, searching each layer with
   * a beam of `ef` (default efConstruction), as a bulk build or a rebuild does.
   */
  insert(slot: number, ef = this.params.efConstruction): void {
    this.add(slot);
    this.link(slot, ef);
  }

  /**
   * Adds `slot` (the next slot of the table) without linking it: nothing is searched, so it
   * costs the same at any graph size. {@link search} scans such slots exactly until
   * {@link repair} links them with the full beam; a compaction merge appends this way (issue 18,
   * P2), so the graph walk's cost, which grows with the index, is paid once and off the merge's
   * path. The first slot of an empty graph is linked at once: it becomes the entry point.
   */
  append(slot: number): void {
    this.add(slot);
    if (this.entry < 0) this.link(slot, this.params.efConstruction);
    else this.unlinked.push(slot);
  }

  /** Slots appended unlinked and not yet linked by {@link repair}, dead ones included. */
  get pendingRepairs(): number {
    return this.unlinked.length - this.unlinkedHead;
  }

  /**
   * Links up to `max` unlinked slots, oldest first, as a full-beam insert would have (links and
   * back links, pruned as on insert). A slot deleted meanwhile is dropped instead: it can never
   * be returned, so it needs no links, and no linked slot points at it. Returns how many slots
   * left the backlog.
   */
  repair(max = Number.POSITIVE_INFINITY): number {
    const alive = this.table.alive;
    let done = 0;
    while (done < max && this.unlinkedHead < this.unlinked.length) {
      const slot = this.unlinked[this.unlinkedHead++]!;
      done++;
      if (alive[slot] === 1) this.link(slot, this.params.efConstruction);
    }
    if (this.unlinkedHead === this.unlinked.length) {
      this.unlinked = [];
      this.unlinkedHead = 0;
    }
    return done;
  }

  /** Takes `slot` into the graph's arrays (level drawn, no links yet). */
  private add(slot: number): void {
    if (slot !== this.size)
      throw new HnswInvariantError(`HNSW insert out of order: slot ${slot}, expected ${this.size}`);
    this.ensureCapacity(slot + 1);
    this.size++;
    const level = this.randomLevel();
    this.levels[slot] = level;
    if (level > 0) this.upper[slot] = new Int32Array(level * (this.M + 1));
  }

  /** HNSW's insert (algorithm 1) of an added slot that has no links yet. */
  private link(slot: number, ef: number): void {
    const level = this.levels[slot]!;
    if (this.entry < 0) {
      this.entry = slot;
      this.maxLevel = level;
      return;
    }
    const vectors = this.table.vectors;
    const qOffset = slot * this.table.dimensions;
    let entry = this.greedy(vectors, qOffset, this.entry, this.maxLevel, level);
    for (let layer = Math.min(level, this.maxLevel); layer >= 0; layer--) {
      const found = this.searchLayer(vectors, qOffset, entry, ef, layer, null);
      const neighbours = this.selectNeighbours(found, this.M);
      this.setLinks(slot, layer, neighbours);
      for (const neighbour of neighbours) this.addLink(neighbour.slot, slot, layer, neighbour.score);
      entry = found[0]!.slot;
    }
    if (level > this.maxLevel) {
      this.entry = slot;
      this.maxLevel = level;
    }
  }

  /**
   * Up to `k` accepted slots nearest to the unit vector `query`, best first. The beam keeps
   * `ef` accepted results, so a filter makes the search walk further rather than return fewer.
   * Unlinked slots (see {@link append}) are out of the walk's reach: each accepted one is scored
   * directly and merged in, so a slot is found as well before its repair as after. That scan
   * costs O(backlog) a query, which is why owners bound the backlog (`maxUnlinked` in
   * HnswVectorIndex, the local runtime's `repairBacklogLimit`).
   */
  search(query: Float32Array, k: number, ef: number, accept: (slot: number) => boolean): ScoredSlot[] {
    if (this.entry < 0) return [];
    const entry = this.greedy(query, 0, this.entry, this.maxLevel, 0);
    const found = this.searchLayer(query, 0, entry, Math.max(ef, k), 0, accept);
    if (this.unlinkedHead < this.unlinked.length) return this.withUnlinked(query, found, k, accept);
    return found.length > k ? found.slice(0, k) : found;
  }

  /**
   * The best `k` of the walk's results and the accepted unlinked slots, best first, all scored
   * exactly with the float32 vectors: with an int8 table the walk's beam is rescored here, so
   * that int8 approximations never rank a walk result against an unlinked slot (a close one
   * could be pushed out of a tight beam).
   */
  private withUnlinked(
    query: Float32Array,
    found: ScoredSlot[],
    k: number,
    accept: (slot: number) => boolean,
  ): ScoredSlot[] {
    const heap = this.results; // min-heap: the top is the worst kept
    heap.clear();
    const vectors = this.table.vectors;
    const dims = this.table.dimensions;
    const consider = (score: number, slot: number) => {
      if (heap.size < k) heap.push(score, slot);
      else if (score > heap.topScore()) {
        heap.pop();
        heap.push(score, slot);
      }
    };
    const approximate = this.table.codes !== undefined;
    for (const hit of found)
      consider(approximate ? dotAt(query, 0, vectors, hit.slot * dims, dims) : hit.score, hit.slot);
    const unlinked = this.unlinked;
    for (let i = this.unlinkedHead; i < unlinked.length; i++) {
      const slot = unlinked[i]!;
      if (accept(slot)) consider(dotAt(query, 0, vectors, slot * dims, dims), slot);
    }
    return drainBestFirst(heap);
  }

  /** Greedy descent from `from` on layers `top`..`stop`+1; returns the closest slot found. */
  private greedy(q: Float32Array, qOffset: number, from: number, top: number, stop: number): number {
    let current = from;
    let best = this.scoreAt(q, qOffset, current);
    const block = this.M + 1;
    for (let layer = top; layer > stop; layer--) {
      let improved = true;
      while (improved) {
        improved = false;
        const links = this.upper[current]!;
        const base = (layer - 1) * block;
        const count = links[base]!;
        for (let i = 1; i <= count; i++) {
          const next = links[base + i]!;
          const score = this.scoreAt(q, qOffset, next);
          if (score > best) {
            best = score;
            current = next;
            improved = true;
          }
        }
      }
    }
    return current;
  }

  /**
   * Beam search on one layer (HNSW algorithm 2). With `accept`, only accepted slots enter the
   * result beam while every slot is still walked through. Returns results best first.
   */
  private searchLayer(
    q: Float32Array,
    qOffset: number,
    entry: number,
    ef: number,
    layer: number,
    accept: ((slot: number) => boolean) | null,
  ): ScoredSlot[] {
    const visited = this.visited;
    const tag = this.nextVisitTag();
    const candidates = this.candidates; // max-heap by similarity (scores negated)
    const results = this.results; // min-heap by similarity: the top is the worst kept
    candidates.clear();
    results.clear();
    const links0 = this.links0;
    const counts0 = this.counts0;
    const M0 = this.M0;
    const block = this.M + 1;

    const entryScore = this.scoreAt(q, qOffset, entry);
    visited[entry] = tag;
    candidates.push(-entryScore, entry);
    if (!accept || accept(entry)) results.push(entryScore, entry);

    while (candidates.size > 0) {
      const score = -candidates.topScore();
      if (results.size >= ef && score < results.topScore()) break;
      const current = candidates.pop();
      let links: Int32Array;
      let base: number;
      let count: number;
      if (layer === 0) {
        links = links0;
        base = current * M0;
        count = counts0[current]!;
      } else {
        links = this.upper[current]!;
        base = (layer - 1) * block + 1;
        count = links[base - 1]!;
      }
      for (let i = 0; i < count; i++) {
        const next = links[base + i]!;
        if (visited[next] === tag) continue;
        visited[next] = tag;
        const nextScore = this.scoreAt(q, qOffset, next);
        if (results.size < ef || nextScore > results.topScore()) {
          candidates.push(-nextScore, next);
          if (!accept || accept(next)) {
            results.push(nextScore, next);
            if (results.size > ef) results.pop();
          }
        }
      }
    }
    const out = new Array<ScoredSlot>(results.size);
    for (let i = results.size - 1; i >= 0; i--) {
      const s = results.topScore();
      out[i] = { slot: results.pop(), score: s };
    }
    return out;
  }

  /**
   * Similarity of the float32 vector `q` at `qOffset` to `slot`: the exact dot product, or with an
   * int8 table the dot product with the slot's code times its scale (what the walk ranks by; the
   * index rescores the final beam exactly). Neighbour selection keeps exact pairwise scores.
   */
  private scoreAt(q: Float32Array, qOffset: number, slot: number): number {
    const table = this.table;
    const dims = table.dimensions;
    const codes = table.codes;
    if (codes === undefined) return dotAt(q, qOffset, table.vectors, slot * dims, dims);
    return dotCodeAt(q, qOffset, codes, slot * dims, dims) * table.scales![slot]!;
  }

  /**
   * HNSW's neighbour heuristic (algorithm 4): take candidates best first, keeping one only if it
   * is closer to the new node than to every neighbour kept so far, so that links spread in
   * different directions (what keeps clustered data navigable).
   */
  private selectNeighbours(candidates: ScoredSlot[], max: number): ScoredSlot[] {
    if (candidates.length <= max) return candidates;
    const vectors = this.table.vectors;
    const dims = this.table.dimensions;
    const kept: ScoredSlot[] = [];
    for (const candidate of candidates) {
      if (kept.length >= max) break;
      let diverse = true;
      for (const other of kept) {
        if (dotAt(vectors, candidate.slot * dims, vectors, other.slot * dims, dims) > candidate.score) {
          diverse = false;
          break;
        }
      }
      if (diverse) kept.push(candidate);
    }
    return kept;
  }

  private setLinks(slot: number, layer: number, neighbours: readonly ScoredSlot[]): void {
    if (layer === 0) {
      const base = slot * this.M0;
      for (let i = 0; i < neighbours.length; i++) {
        this.links0[base + i] = neighbours[i]!.slot;
        this.scores0[base + i] = neighbours[i]!.score;
      }
      this.counts0[slot] = neighbours.length;
    } else {
      const links = this.upper[slot]!;
      const base = (layer - 1) * (this.M + 1);
      links[base] = neighbours.length;
      for (let i = 0; i < neighbours.length; i++) links[base + 1 + i] = neighbours[i]!.slot;
    }
  }

  /**
   * Adds a back link; a full list is pruned with the same diversity heuristic. Layer 0 keeps
   * each link's similarity, so pruning there computes only the pairwise checks.
   */
  private addLink(from: number, to: number, layer: number, score: number): void {
    const pool: ScoredSlot[] = [{ slot: to, score }];
    if (layer === 0) {
      const base = from * this.M0;
      const count = this.counts0[from]!;
      if (count < this.M0) {
        this.links0[base + count] = to;
        this.scores0[base + count] = score;
        this.counts0[from] = count + 1;
        return;
      }
      for (let i = 0; i < count; i++) pool.push({ slot: this.links0[base + i]!, score: this.scores0[base + i]! });
    } else {
      const links = this.upper[from]!;
      const base = (layer - 1) * (this.M + 1);
      const count = links[base]!;
      if (count < this.M) {
        links[base + 1 + count] = to;
        links[base] = count + 1;
        return;
      }
      const vectors = this.table.vectors;
      const dims = this.table.dimensions;
      for (let i = 1; i <= count; i++) {
        const slot = links[base + i]!;
        pool.push({ slot, score: dotAt(vectors, from * dims, vectors, slot * dims, dims) });
      }
    }
    pool.sort((a, b) => b.score - a.score);
    this.setLinks(from, layer, this.selectNeighbours(pool, layer === 0 ? this.M0 : this.M));
  }

  private randomLevel(): number {
    // xorshift32: cheap, seeded, good enough for geometric level draws.
    let x = this.randomState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.randomState = x >>> 0;
    const uniform = (this.randomState + 1) / 4294967297;
    return Math.min(MAX_LEVEL, Math.floor(-Math.log(uniform) * this.levelFactor));
  }

  private nextVisitTag(): number {
    this.visitTag++;
    if (this.visitTag === 0xffffffff) {
      this.visited.fill(0);
      this.visitTag = 1;
    }
    return this.visitTag;
  }

  private ensureCapacity(slots: number): void {
    const capacity = this.levels.length;
    if (slots <= capacity) return;
    const next = Math.max(slots, capacity * 2);
    this.levels = grown(Uint8Array, this.levels, next);
    this.links0 = grown(Int32Array, this.links0, next * this.M0);
    this.counts0 = grown(Uint16Array, this.counts0, next);
    this.scores0 = grown(Float32Array, this.scores0, next * this.M0);
    this.visited = new Uint32Array(next);
    this.visitTag = 0;
  }
}
