/**
 * Copies `source` into `target` at `offset`, scaled to unit length, and returns the original
 * norm. Stored vectors are unit length so that cosine similarity is a plain dot product.
 * A zero vector is stored as zeros (it is similar to nothing).
 */
export function normalizeInto(source: ArrayLike<number>, target: Float32Array, offset: number): number {
  const dims = source.length;
  let sum = 0;
  for (let i = 0; i < dims; i++) {
    const x = source[i]!;
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  const scale = norm > 0 ? 1 / norm : 0;
  for (let i = 0; i < dims; i++) target[offset + i] = source[i]! * scale;
  return norm;
}

/** A unit-length float32 copy of `vector`. */
export function normalized(vector: ArrayLike<number>): Float32Array {
  const out = new Float32Array(vector.length);
  normalizeInto(vector, out, 0);
  return out;
}

/**
 * Dot product of `dims` floats of `a` at `aOffset` and `b` at `bOffset`. The hot loop of every
 * search: unrolled by four, no allocation.
 */
export function dotAt(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dims: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const end4 = dims - (dims % 4);
  for (; i < end4; i += 4) {
    s0 += a[aOffset + i]! * b[bOffset + i]!;
    s1 += a[aOffset + i + 1]! * b[bOffset + i + 1]!;
    s2 += a[aOffset + i + 2]! * b[bOffset + i + 2]!;
    s3 += a[aOffset + i + 3]! * b[bOffset + i + 3]!;
  }
  for (; i < dims; i++) s0 += a[aOffset + i]! * b[bOffset + i]!;
  return s0 + s1 + s2 + s3;
}

/** Cosine similarity clamped to [-1, 1] (float error can push a self-match past 1). */
export function clampScore(score: number): number {
  return score > 1 ? 1 : score < -1 ? -1 : score;
}

/**
 * A typed array of `length` elements holding `old` at its start (zeros after): how the slot
 * arrays grow.
 *
 * @example
 * this.norms = grown(Float32Array, this.norms, next);
 */
export function grown<T extends { set(values: ArrayLike<number>): void }>(
  make: new (length: number) => T,
  old: ArrayLike<number>,
  length: number,
): T {
  const next = new make(length);
  next.set(old);
  return next;
}

/**
 * How the HNSW graph walk scores vectors: `none` walks the float32 unit vectors; `int8` walks
 * one signed byte per dimension (plus a float32 scale per vector) and rescores the final beam
 * with the float32 vectors, so returned scores are exact.
 */
export type VectorQuantization = 'none' | 'int8';

/**
 * Writes the int8 code of the unit vector at `source[offset..offset+dims)` into `codes` at
 * `codeOffset` and returns its scale: code_i = round(x_i / scale) with scale = max|x_i| / 127.
 * One scale per vector rather than per dimension: it needs no training pass over the data (the
 * index grows one upsert at a time), and it adapts to sparse hashed vectors (a few large
 * components) and dense ones alike, so the largest component of every vector uses all 8 bits.
 */
export function quantizeInto(
  source: Float32Array,
  offset: number,
  dims: number,
  codes: Int8Array,
  codeOffset: number,
): number {
  let max = 0;
  for (let i = 0; i < dims; i++) {
    const a = Math.abs(source[offset + i]!);
    if (a > max) max = a;
  }
  if (max === 0) {
    codes.fill(0, codeOffset, codeOffset + dims);
    return 0;
  }
  const inverse = 127 / max;
  for (let i = 0; i < dims; i++) codes[codeOffset + i] = Math.round(source[offset + i]! * inverse);
  return max / 127;
}

/**
 * Dot product of float32 `a` at `aOffset` with int8 codes `b` at `bOffset` (not yet scaled).
 * The same loop as {@link dotAt}, kept apart on purpose: one function fed both Float32Array and
 * Int8Array turns V8's element loads polymorphic and slows the float32 walk every index uses.
 */
export function dotCodeAt(a: Float32Array, aOffset: number, b: Int8Array, bOffset: number, dims: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const end4 = dims - (dims % 4);
  for (; i < end4; i += 4) {
    s0 += a[aOffset + i]! * b[bOffset + i]!;
    s1 += a[aOffset + i + 1]! * b[bOffset + i + 1]!;
    s2 += a[aOffset + i + 2]! * b[bOffset + i + 2]!;
    s3 += a[aOffset + i + 3]! * b[bOffset + i + 3]!;
  }
  for (; i < dims; i++) s0 += a[aOffset + i]! * b[bOffset + i]!;
  return s0 + s1 + s2 + s3;
}
