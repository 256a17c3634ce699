import type { RecordTable } from './record-table.js';
import { ScoredHeap } from './scored-heap.js';
import { dotAt } from './vector-math.js';

/** A slot and its cosine similarity to a query. */
export interface ScoredSlot {
  slot: number;
  score: number;
}

/**
 * The exact k nearest live slots to the unit vector `query` by brute force, best first, over
 * `slots` or (when undefined) every live slot. `heap` is scratch space the caller may reuse.
 */
export function exactTopK(
  table: RecordTable,
  query: Float32Array,
  k: number,
  slots: readonly number[] | undefined,
  heap: ScoredHeap = new ScoredHeap(k + 1),
): ScoredSlot[] {
  const dims = table.dimensions;
  const vectors = table.vectors;
  const alive = table.alive;
  heap.clear();
  const consider = (slot: number) => {
    const score = dotAt(query, 0, vectors, slot * dims, dims);
    if (heap.size < k) heap.push(score, slot);
    else if (score > heap.topScore()) {
      heap.pop();
      heap.push(score, slot);
    }
  };
  if (slots) {
    for (const slot of slots) if (alive[slot] === 1) consider(slot);
  } else {
    for (let slot = 0; slot < table.size; slot++) if (alive[slot] === 1) consider(slot);
  }
  return drainBestFirst(heap);
}

/** Empties a min-heap of the best results into an array sorted best first. */
export function drainBestFirst(heap: ScoredHeap): ScoredSlot[] {
  const out = new Array<ScoredSlot>(heap.size);
  for (let i = heap.size - 1; i >= 0; i--) {
    const score = heap.topScore();
    out[i] = { slot: heap.pop(), score };
  }
  return out;
}
