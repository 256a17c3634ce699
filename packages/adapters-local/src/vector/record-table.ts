import type { MetadataFilter, VectorMatch, VectorMetadata, VectorRecord } from '@receiptflow/core';
import { matchesFilter, patchMetadata, postingKey, withoutNulls } from './metadata.js';
import { grown, normalizeInto, quantizeInto, type VectorQuantization } from './vector-math.js';

/**
 * The records of one collection in slots: unit-length vectors in one Float32Array (plus each
 * original norm, so `get` returns the vector as written), documents, metadata, and an inverted
 * index from (key, value) to slots for filtered reads. A replaced or deleted record leaves a dead
 * slot behind (a tombstone) rather than moving others, because graph links point at slots.
 *
 * With `quantization: 'int8'` each slot also gets an int8 code of its unit vector and the code's
 * scale (see `quantizeInto`), which the graph walk scores instead of the float32 vector.
 */
export class RecordTable {
  vectors: Float32Array;
  norms: Float32Array;
  alive: Uint8Array;
  /** int8 codes of the unit vectors (`dimensions` a slot); only with `quantization: 'int8'`. */
  codes: Int8Array | undefined;
  /** Each code's scale: code · scale approximates the unit vector. Only with `int8`. */
  scales: Float32Array | undefined;
  readonly ids: string[] = [];
  readonly documents: string[] = [];
  readonly metadata: VectorMetadata[] = [];
  /** Slots in use, dead or alive. */
  size = 0;
  liveCount = 0;
  private readonly slotById = new Map<string, number>();
  private readonly postings = new Map<string, Set<number>>();

  constructor(
    readonly dimensions: number,
    capacity = 1024,
    readonly quantization: VectorQuantization = 'none',
  ) {
    this.vectors = new Float32Array(capacity * dimensions);
    this.norms = new Float32Array(capacity);
    this.alive = new Uint8Array(capacity);
    if (quantization === 'int8') {
      this.codes = new Int8Array(capacity * dimensions);
      this.scales = new Float32Array(capacity);
    }
  }

  get deadCount(): number {
    return this.size - this.liveCount;
  }

  slotOf(id: string): number | undefined {
    return this.slotById.get(id);
  }

  /** Stores a record in a new slot and returns it. The id must not be live. */
  append(record: VectorRecord): number {
    const slot = this.size;
    this.ensureCapacity(slot + 1);
    this.size++;
    this.norms[slot] = normalizeInto(record.vector, this.vectors, slot * this.dimensions);
    this.encode(slot);
    this.ids[slot] = record.id;
    this.documents[slot] = record.document;
    this.metadata[slot] = {};
    this.alive[slot] = 1;
    this.liveCount++;
    this.slotById.set(record.id, slot);
    this.setMetadata(slot, withoutNulls(record.metadata));
    return slot;
  }

  /**
   * Stores a slot read back from a snapshot, unit vector and norm as they were, dead or alive.
   * Slots must be restored in order 0, 1, 2, ...
   */
  restore(
    id: string,
    unit: Float32Array,
    norm: number,
    document: string,
    metadata: VectorMetadata,
    live: boolean,
  ): void {
    const slot = this.size;
    this.ensureCapacity(slot + 1);
    this.size++;
    this.vectors.set(unit, slot * this.dimensions);
    this.norms[slot] = norm;
    this.encode(slot);
    this.ids[slot] = id;
    this.documents[slot] = document;
    this.metadata[slot] = {};
    if (!live) return;
    this.alive[slot] = 1;
    this.liveCount++;
    this.slotById.set(id, slot);
    this.setMetadata(slot, metadata);
  }

  /** True when `vector` is (to float32 precision) the vector stored in `slot`. */
  hasVector(slot: number, vector: readonly number[]): boolean {
    const norm = this.norms[slot]!;
    const base = slot * this.dimensions;
    const tolerance = 1e-6 * (norm || 1);
    for (let i = 0; i < this.dimensions; i++) {
      if (Math.abs(this.vectors[base + i]! * norm - vector[i]!) > tolerance) return false;
    }
    return true;
  }

  setDocument(slot: number, document: string): void {
    this.documents[slot] = document;
  }

  /** Replaces a live slot's metadata, keeping the inverted index in step. */
  setMetadata(slot: number, next: VectorMetadata): void {
    const previous = this.metadata[slot]!;
    for (const [key, value] of Object.entries(previous)) {
      if (next[key] !== value && value !== null) this.unpost(postingKey(key, value), slot);
    }
    for (const [key, value] of Object.entries(next)) {
      if (previous[key] !== value && value !== null) this.post(postingKey(key, value), slot);
    }
    this.metadata[slot] = next;
  }

  patch(slot: number, patch: VectorMetadata): void {
    this.setMetadata(slot, patchMetadata(this.metadata[slot]!, patch));
  }

  /** Marks a slot dead: it leaves the id map and inverted index, its vector stays for the graph. */
  kill(slot: number): void {
    if (this.alive[slot] !== 1) return;
    this.setMetadata(slot, {});
    this.alive[slot] = 0;
    this.liveCount--;
    this.slotById.delete(this.ids[slot]!);
    this.documents[slot] = '';
  }

  /**
   * Live slots matching `where`, from the inverted index (smallest posting list first), or
   * undefined when there is no filter, meaning "every live slot".
   */
  candidates(where: MetadataFilter | undefined): number[] | undefined {
    const entries = where ? Object.entries(where) : [];
    if (entries.length === 0) return undefined;
    const lists: Set<number>[] = [];
    for (const [key, value] of entries) {
      const list = this.postings.get(postingKey(key, value));
      if (!list) return [];
      lists.push(list);
    }
    lists.sort((a, b) => a.size - b.size);
    const [smallest, ...rest] = lists;
    const out: number[] = [];
    for (const slot of smallest!) if (rest.every((list) => list.has(slot))) out.push(slot);
    return out;
  }

  /** Live slots matching `where` (every live slot when `where` is empty). */
  matchingSlots(where: MetadataFilter): number[] {
    const found = this.candidates(where);
    if (found) return found;
    const all: number[] = [];
    for (let slot = 0; slot < this.size; slot++) if (this.alive[slot] === 1) all.push(slot);
    return all;
  }

  /** For tests and assertions: the slow way, without the inverted index. */
  matchesSlow(slot: number, where: MetadataFilter): boolean {
    return this.alive[slot] === 1 && matchesFilter(this.metadata[slot]!, where);
  }

  record(slot: number): VectorRecord {
    const norm = this.norms[slot]!;
    const base = slot * this.dimensions;
    const vector = new Array<number>(this.dimensions);
    for (let i = 0; i < this.dimensions; i++) vector[i] = this.vectors[base + i]! * norm;
    return { id: this.ids[slot]!, vector, document: this.documents[slot]!, metadata: { ...this.metadata[slot]! } };
  }

  match(slot: number, score: number): VectorMatch {
    return { id: this.ids[slot]!, score, document: this.documents[slot]!, metadata: { ...this.metadata[slot]! } };
  }

  private post(key: string, slot: number): void {
    let list = this.postings.get(key);
    if (!list) this.postings.set(key, (list = new Set()));
    list.add(slot);
  }

  private unpost(key: string, slot: number): void {
    const list = this.postings.get(key);
    if (!list) return;
    list.delete(slot);
    if (list.size === 0) this.postings.delete(key);
  }

  /** Quantises the slot's unit vector when the table keeps codes (they are derived, never stored). */
  private encode(slot: number): void {
    if (!this.codes) return;
    const dims = this.dimensions;
    this.scales![slot] = quantizeInto(this.vectors, slot * dims, dims, this.codes, slot * dims);
  }

  private ensureCapacity(slots: number): void {
    const capacity = this.norms.length;
    if (slots <= capacity) return;
    const next = Math.max(slots, capacity * 2);
    this.vectors = grown(Float32Array, this.vectors, next * this.dimensions);
    this.norms = grown(Float32Array, this.norms, next);
    this.alive = grown(Uint8Array, this.alive, next);
    if (this.codes) {
      this.codes = grown(Int8Array, this.codes, next * this.dimensions);
      this.scales = grown(Float32Array, this.scales!, next);
    }
  }
}
