/**
 * A binary min-heap of (score, slot) pairs on growable typed arrays, reused across searches so
 * that the hot path allocates nothing. Push `-score` to get a max-heap.
 */
export class ScoredHeap {
  private scores: Float64Array;
  private slots: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    this.scores = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  /** Smallest score; only valid when size > 0. */
  topScore(): number {
    return this.scores[0]!;
  }

  topSlot(): number {
    return this.slots[0]!;
  }

  push(score: number, slot: number): void {
    if (this.size === this.scores.length) this.grow();
    const scores = this.scores;
    const slots = this.slots;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = scores[parent]!;
      if (ps <= score) break;
      scores[i] = ps;
      slots[i] = slots[parent]!;
      i = parent;
    }
    scores[i] = score;
    slots[i] = slot;
  }

  /** Removes the smallest entry and returns its slot. */
  pop(): number {
    const scores = this.scores;
    const slots = this.slots;
    const top = slots[0]!;
    const n = --this.size;
    if (n === 0) return top;
    const score = scores[n]!;
    const slot = slots[n]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && scores[child + 1]! < scores[child]!) child++;
      if (scores[child]! >= score) break;
      scores[i] = scores[child]!;
      slots[i] = slots[child]!;
      i = child;
    }
    scores[i] = score;
    slots[i] = slot;
    return top;
  }

  /** Entries in heap order (not sorted), for draining into a result. */
  scoreAt(i: number): number {
    return this.scores[i]!;
  }

  slotAt(i: number): number {
    return this.slots[i]!;
  }

  private grow(): void {
    const scores = new Float64Array(this.scores.length * 2);
    scores.set(this.scores);
    const slots = new Int32Array(this.slots.length * 2);
    slots.set(this.slots);
    this.scores = scores;
    this.slots = slots;
  }
}
