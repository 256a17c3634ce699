import { CorruptDeltaError, type VectorRecord } from '@receiptflow/core';
import type { VectorIndexOp } from './table-vector-index.js';

const KIND = { upsert: 1, delete: 2, patch: 3 } as const;

/**
 * One mutation as bytes: [u8 kind][u32 json length][json][float32 vectors]. Vectors are raw
 * little-endian float32 (4 bytes a value instead of ~20 as JSON text), so an upsert appends
 * about `dimensions * 4` bytes per record.
 */
export function encodeOp(change: VectorIndexOp, dimensions: number): Buffer {
  let json: unknown;
  let vectors: Float32Array | undefined;
  if (change.op === 'upsert') {
    json = change.records.map((r) => [r.id, r.document, r.metadata]);
    vectors = new Float32Array(change.records.length * dimensions);
    change.records.forEach((r, i) => vectors!.set(r.vector, i * dimensions));
  } else if (change.op === 'delete') {
    json = change.ids;
  } else {
    json = [change.ids, change.patch];
  }
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt8(KIND[change.op], 0);
  head.writeUInt32LE(text.length, 1);
  const parts: Buffer[] = [head, text];
  if (vectors) parts.push(Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  return Buffer.concat(parts);
}

export function decodeOp(payload: Buffer, dimensions: number): VectorIndexOp {
  const kind = payload.readUInt8(0);
  const length = payload.readUInt32LE(1);
  const json: unknown = JSON.parse(payload.subarray(5, 5 + length).toString('utf8'));
  if (kind === KIND.upsert) {
    const rows = json as [string, string, VectorRecord['metadata']][];
    const bytes = payload.subarray(5 + length);
    if (bytes.length !== rows.length * dimensions * 4)
      throw new CorruptDeltaError(`vector log: upsert of ${rows.length} records carries ${bytes.length} vector bytes`);
    // Copy into an aligned buffer: a Float32Array view needs a 4-byte aligned offset.
    const floats = new Float32Array(new Uint8Array(bytes).buffer);
    const records = rows.map(([id, document, metadata], i) => ({
      id,
      document,
      metadata,
      vector: Array.from(floats.subarray(i * dimensions, (i + 1) * dimensions)),
    }));
    return { op: 'upsert', records };
  }
  if (kind === KIND.delete) return { op: 'delete', ids: json as string[] };
  if (kind === KIND.patch) {
    const [ids, patch] = json as [string[], VectorRecord['metadata']];
    return { op: 'patch', ids, patch };
  }
  throw new CorruptDeltaError(`vector log: unknown operation kind ${kind}`);
}
