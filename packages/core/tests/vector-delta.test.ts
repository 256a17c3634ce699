import { describe, expect, it } from 'vitest';
import {
  CorruptDeltaError,
  buildVectorDelta,
  canonicalJson,
  decodeVectorDelta,
  deltaChecksum,
  deterministicRunId,
  encodeVectorDelta,
  fnv1a64,
  IdSchema,
  type VectorRecord,
} from '../src/index.js';

const header = { run_id: 'run-1', image_id: 'img-1', receipt_id: 1, collection: 'lines' as const };
const records: VectorRecord[] = Array.from({ length: 5 }, (_, i) => ({
  id: `r${i}`,
  vector: [0.6, 0.8, i / 10],
  document: `line ${i}`,
  metadata: { image_id: 'img-1', receipt_id: 1, line_id: i + 1, has_place: i % 2 === 0 },
}));

describe('checksums', () => {
  it('FNV-1a 64 has its published test values', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('FNV-1a 64 agrees with a BigInt reference on long and multi-byte text', () => {
    const reference = (text: string) => {
      let h = 0xcbf29ce484222325n;
      for (const byte of new TextEncoder().encode(text))
        h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, '0');
    };
    const texts = ['ÿ'.repeat(300), 'Kedai Runcit Ah Hock — TOTAL RM 12.50 ✓', JSON.stringify(records.slice(0, 3))];
    for (const text of texts) expect(fnv1a64(text)).toBe(reference(text));
  });

  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { y: 2, z: 1 }] }, b: 1 }),
    );
  });

  it('run ids are deterministic per image, receipt and job, and valid ids', () => {
    const id = deterministicRunId('img-1', 1, 'job-1');
    expect(deterministicRunId('img-1', 1, 'job-1')).toBe(id);
    expect(deterministicRunId('img-1', 1, 'job-2')).not.toBe(id);
    expect(deterministicRunId('img-1', 2, 'job-1')).not.toBe(id);
    expect(IdSchema.safeParse(id).success).toBe(true);
  });
});

// docs/lessons.md#lesson-12-corrupt-deltas-published-while-still-open
describe('vector deltas', () => {
  const bytes = encodeVectorDelta(buildVectorDelta(header, 3, records));

  it('round-trips', () => {
    const delta = decodeVectorDelta(bytes, header);
    expect(delta.records).toEqual(records);
    expect(delta.checksum).toBe(deltaChecksum(records));
  });

  it('rejects a truncated delta', () => {
    expect(() => decodeVectorDelta(bytes.subarray(0, bytes.length - 40), header)).toThrow(CorruptDeltaError);
  });

  it('rejects a delta whose count does not match its records', () => {
    const delta = JSON.parse(new TextDecoder().decode(bytes));
    delta.records.pop();
    expect(() => decodeVectorDelta(new TextEncoder().encode(JSON.stringify(delta)))).toThrow(/count says 5/);
  });

  it('rejects a changed vector (checksum)', () => {
    const delta = JSON.parse(new TextDecoder().decode(bytes));
    delta.records[2].vector[0] = 0.61;
    expect(() => decodeVectorDelta(new TextEncoder().encode(JSON.stringify(delta)))).toThrow(/checksum/);
  });

  it('rejects a delta of another run or collection', () => {
    expect(() => decodeVectorDelta(bytes, { ...header, collection: 'words' })).toThrow(/collection/);
    expect(() => decodeVectorDelta(bytes, { ...header, run_id: 'run-2' })).toThrow(/run_id/);
  });

  it('rejects a record with the wrong dimensions', () => {
    const bad = buildVectorDelta(header, 4, records);
    expect(() => decodeVectorDelta(encodeVectorDelta(bad))).toThrow(CorruptDeltaError);
  });
});
