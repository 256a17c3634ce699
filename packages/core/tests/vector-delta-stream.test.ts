import { describe, expect, it } from 'vitest';
import {
  CorruptDeltaError,
  Fnv1a64,
  ValidationError,
  buildVectorDelta,
  encodeVectorDelta,
  encodeVectorDeltaBytes,
  encodeVectorDeltaStream,
  encodeVectorDeltaPages,
  vectorDeltaRecords,
  fnv1a64,
  readVectorDelta,
  type VectorRecord,
} from '../src/index.js';
import { makeDeltaRecords } from '../src/testing/index.js';

const header = { run_id: 'run-1', image_id: 'img-delta', receipt_id: 1, collection: 'words' as const };
const records = makeDeltaRecords(40, 16);
const bytes = encodeVectorDeltaBytes(header, 16, records);

function* chunksOf(data: Uint8Array, size: number): Generator<Uint8Array> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

async function readAll(data: Iterable<Uint8Array> | AsyncIterable<Uint8Array>, expected = header) {
  const out: VectorRecord[] = [];
  const summary = await readVectorDelta(data, { expected, onRecord: (r) => out.push(r) });
  return { summary, records: out };
}

/** The delta with its trailer's checksum recomputed over its (changed) bytes. */
function resealed(data: Uint8Array): Uint8Array {
  const copy = data.slice();
  const hash = new Fnv1a64();
  hash.update(copy.subarray(0, copy.length - 24));
  copy.set(new TextEncoder().encode(hash.hex()), copy.length - 16);
  return copy;
}

/** Bytes with the little-endian u32 at `offset` replaced. */
function withU32(data: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = data.slice();
  new DataView(copy.buffer).setUint32(offset, value, true);
  return copy;
}

describe('vector delta format 2 (streamed)', () => {
  it('round-trips records exactly, whatever the chunk boundaries', async () => {
    for (const size of [1, 7, 4096, bytes.length]) {
      const { summary, records: read } = await readAll(chunksOf(bytes, size));
      expect(read).toEqual(records);
      expect(summary).toMatchObject({ ...header, format_version: 2, dimensions: 16, count: 40, bytes: bytes.length });
      expect(summary.checksum).toMatch(/^fnv1a64:[0-9a-f]{16}$/);
    }
  });

  it('reads chunks that are node Buffers at an odd offset (fs and SDK streams hand out Buffers)', async () => {
    // Buffer#slice is a view, not a copy: an unaligned frame must still be copied to read its floats.
    const padded = Buffer.alloc(bytes.length + 1);
    padded.set(bytes, 1);
    const { records: read } = await readAll([padded.subarray(1)]);
    expect(read).toEqual(records);
  });

  it('the encoder yields bounded chunks as it is pulled, never the whole delta at once', () => {
    const big = makeDeltaRecords(2000, 512);
    const sizes = [...encodeVectorDeltaStream(header, 512, big, { chunkBytes: 64 * 1024 })].map((c) => c.length);
    expect(sizes.length).toBeGreaterThan(50);
    // A chunk closes at the first record that takes it past 64 KiB: one record (~2.2 KB) over at most.
    expect(Math.max(...sizes)).toBeLessThan(64 * 1024 + 4096);
  });

  it('an empty delta round-trips', async () => {
    const empty = encodeVectorDeltaBytes(header, 16, []);
    expect((await readAll([empty])).summary.count).toBe(0);
  });

  it('the encoder refuses a vector of the wrong length or one float32 cannot hold', () => {
    const short = [{ ...records[0]!, vector: [1, 2] }];
    expect(() => encodeVectorDeltaBytes(header, 16, short)).toThrow(ValidationError);
    const huge = [{ ...records[0]!, vector: records[0]!.vector.map((v, i) => (i === 3 ? 1e39 : v)) }];
    expect(() => encodeVectorDeltaBytes(header, 16, huge)).toThrow(/float32 cannot hold/);
  });

  it('incremental FNV-1a 64 equals the one-shot hash', () => {
    const text = 'Kedai Runcit Ah Hock — TOTAL RM 12.50 ✓'.repeat(50);
    const hash = new Fnv1a64();
    for (const chunk of chunksOf(new TextEncoder().encode(text), 13)) hash.update(chunk);
    expect(hash.hex()).toBe(fnv1a64(text));
  });

  const corrupt: [string, () => Uint8Array, RegExp][] = [
    ['a flipped bit in a vector', () => flip(bytes, bytes.length - 100), /checksum/],
    ['a flipped bit in a record JSON', () => flip(bytes, 9 + headerLength() + 4 + 3), /JSON|schema|checksum/],
    ['a cut before the trailer', () => bytes.subarray(0, bytes.length - 30), /truncated/],
    ['a cut inside the trailer', () => bytes.subarray(0, bytes.length - 3), /truncated/],
    ['bytes after the trailer', () => concat(bytes, new Uint8Array([1])), /after its trailer/],
    ['no magic', () => flip(bytes, 0), /not a vector delta/],
    ['an unknown format', () => withByte(bytes, 4, 9), /format 9/],
    ['a header length beyond its bound', () => withU32(bytes, 5, 10_000_000), /header claims/],
    ['a record length beyond its bound', () => withU32(bytes, 9 + headerLength(), 50_000_000), /claims/],
    ['a trailer count that disagrees', () => withU32(bytes, bytes.length - 20, 39), /trailer counts 39/],
    // The checksum only proves the bytes are those written; a writer bug that wrote NaN is still caught.
    [
      'a NaN vector value under a valid checksum',
      () => resealed(withU32(bytes, bytes.length - 24 - 8, 0x7fc00000)),
      /non-finite value/,
    ],
    [
      'a wrong checksum in the trailer',
      () => withByte(bytes, bytes.length - 1, 0x30 + ((bytes.at(-1)! + 1) % 10)),
      /checksum/,
    ],
  ];
  for (const [what, make, message] of corrupt) {
    it(`${what} is a CorruptDeltaError`, async () => {
      const read = readAll(chunksOf(make(), 500));
      await expect(read).rejects.toBeInstanceOf(CorruptDeltaError);
      await expect(readAll(chunksOf(make(), 500))).rejects.toThrow(message);
    });
  }

  it('another run or collection is refused from the header, before any record is handed out', async () => {
    let seen = 0;
    const read = readVectorDelta(chunksOf(bytes, 64), {
      expected: { ...header, collection: 'lines' },
      onRecord: () => (seen += 1),
    });
    await expect(read).rejects.toThrow(/collection words, expected lines/);
    expect(seen).toBe(0);
  });

  it('a corrupt delta stops the source early, so a network body is released', async () => {
    let returned = false;
    const source = {
      [Symbol.asyncIterator]() {
        const inner = chunksOf(flip(bytes, 0), 100);
        return {
          next: async () => inner.next(),
          return: async () => {
            returned = true;
            return { done: true as const, value: undefined };
          },
        };
      },
    };
    await expect(readVectorDelta(source)).rejects.toBeInstanceOf(CorruptDeltaError);
    expect(returned).toBe(true);
  });

  it('a format-1 (JSON) delta is still read, and still checked', async () => {
    const json = encodeVectorDelta(buildVectorDelta(header, 16, records));
    const { summary, records: read } = await readAll(chunksOf(json, 1000));
    expect(read).toEqual(records);
    expect(summary).toMatchObject({ format_version: 1, count: 40, bytes: json.length });
    await expect(readAll([json.subarray(0, json.length - 10)])).rejects.toBeInstanceOf(CorruptDeltaError);
  });
});

function headerLength(): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(5, true);
}
function flip(data: Uint8Array, at: number): Uint8Array {
  const copy = data.slice();
  copy[at]! ^= 0x01;
  return copy;
}
function withByte(data: Uint8Array, at: number, value: number): Uint8Array {
  const copy = data.slice();
  copy[at] = value;
  return copy;
}
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

describe('encodeVectorDeltaPages (a collection read page by page: server-mode snapshots)', () => {
  async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  async function* pages(size: number, of = records): AsyncGenerator<VectorRecord[]> {
    for (let i = 0; i < of.length; i += size) yield of.slice(i, i + size);
  }

  it('writes the same bytes as the whole-array encoder, whatever the page size', async () => {
    for (const size of [1, 7, 40, 100]) {
      expect(await bytesOf(encodeVectorDeltaPages(header, 16, records.length, pages(size)))).toEqual(bytes);
    }
  });

  it('throws before the trailer when the pages hold more or fewer records than counted', async () => {
    await expect(bytesOf(encodeVectorDeltaPages(header, 16, records.length - 1, pages(7)))).rejects.toThrow(
      ValidationError,
    );
    await expect(bytesOf(encodeVectorDeltaPages(header, 16, records.length + 1, pages(7)))).rejects.toThrow(
      /41|header counts/,
    );
  });

  it('vectorDeltaRecords yields the records as pulled and returns the checked summary', async () => {
    const it = vectorDeltaRecords(chunksOf(bytes, 333), { expected: header });
    const out: VectorRecord[] = [];
    let next = await it.next();
    for (; !next.done; next = await it.next()) out.push(next.value);
    expect(out).toHaveLength(40);
    expect(next.value.count).toBe(40);
    const broken = bytes.slice();
    broken[broken.length - 1] = broken[broken.length - 1] === 0x30 ? 0x31 : 0x30;
    const bad = vectorDeltaRecords(chunksOf(broken, 333), { expected: header });
    await expect(
      (async () => {
        for (let n = await bad.next(); !n.done; n = await bad.next());
      })(),
    ).rejects.toThrow(CorruptDeltaError);
  });
});
