import type { Collection } from './ids.js';
import { VectorDeltaSchema, type VectorDelta, type VectorRecord } from './vector.js';
import { CorruptDeltaError } from '../errors.js';
import { canonicalJson, fnv1a64 } from './checksum.js';

/**
 * Where the delta of one run and collection is stored: `deltas/<collection>/<run_id>.bin`, in
 * format 2 (vector-delta-stream.ts). Runs written before it point at `.json` keys in format 1;
 * readers go by the run's `delta_key` and the delta's first byte, never by this name.
 */
export function deltaKey(collection: Collection, runId: string): string {
  return `deltas/${collection}/${runId}.bin`;
}

/** Checksum of a delta's records: FNV-1a 64 over their canonical JSON. */
export function deltaChecksum(records: readonly VectorRecord[]): string {
  return `fnv1a64:${fnv1a64(canonicalJson(records))}`;
}

export interface DeltaHeader {
  run_id: string;
  image_id: string;
  receipt_id: number;
  collection: Collection;
}

/** A delta with its count and checksum filled in from the records. */
export function buildVectorDelta(header: DeltaHeader, dimensions: number, records: VectorRecord[]): VectorDelta {
  return {
    format_version: 1,
    ...header,
    dimensions,
    count: records.length,
    checksum: deltaChecksum(records),
    records,
  };
}

/**
 * Format 1: the delta as one JSON document. No longer written by the pipeline (it is encoded
 * whole, 32.8 MB for a 3,000-word receipt); kept to build format-1 deltas in tests, as those
 * written before format 2 are still read.
 */
export function encodeVectorDelta(delta: VectorDelta): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(delta));
}

/**
 * Parses and checks a stored format-1 delta (readVectorDelta reads both formats): JSON, schema (count matches records, dimensions agree),
 * checksum, and — when given — that it is the delta the caller expects. Anything else throws
 * CorruptDeltaError naming what is wrong, so a truncated upload can never be merged (docs/lessons.md#lesson-12-corrupt-deltas-published-while-still-open).
 */
export function decodeVectorDelta(bytes: Uint8Array, expected?: DeltaHeader): VectorDelta {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new CorruptDeltaError(`delta is not valid JSON (${bytes.length} bytes, truncated?)`, { cause: error });
  }
  const parsed = VectorDeltaSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(delta)'}: ${i.message}`);
    throw new CorruptDeltaError(`delta fails its schema: ${issues.slice(0, 5).join('; ')}`);
  }
  const delta = parsed.data;
  const checksum = deltaChecksum(delta.records);
  if (checksum !== delta.checksum) {
    throw new CorruptDeltaError(
      `delta ${delta.run_id}/${delta.collection} checksum is ${checksum}, header says ${delta.checksum}`,
    );
  }
  if (expected) {
    for (const field of ['run_id', 'image_id', 'receipt_id', 'collection'] as const) {
      if (delta[field] !== expected[field]) {
        throw new CorruptDeltaError(`delta has ${field} ${String(delta[field])}, expected ${String(expected[field])}`);
      }
    }
  }
  return delta;
}
