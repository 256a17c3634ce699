import { schema } from '../schema.js';
import type { Collection } from './ids.js';
import { VectorRecordSchema, type VectorRecord } from './vector.js';
import { CorruptDeltaError, ValidationError } from '../errors.js';
import { Fnv1a64 } from './checksum.js';
import { decodeVectorDelta, type DeltaHeader } from './vector-delta.js';

/**
 * The binary vector delta, format 2: written and read as a stream, so that neither side holds
 * the encoded delta whole (a 3,000-word receipt's words delta was 32.8 MB of JSON, issue 20
 * item 7). All integers are little-endian u32; vectors are float32, as every index stores them.
 *
 *   "RFVD" u8(2) u32(H) header-JSON(H bytes)             header: run_id, image_id, receipt_id,
 *                                                         collection, dimensions, count
 *   count × [ u32(M) record-JSON(M bytes) f32 × dimensions ]   record-JSON: id, document, metadata
 *   "RFVE" u32(count) checksum(16 ASCII hex digits)       FNV-1a 64 of every byte before "RFVE"
 *
 * The checksum and count sit in the trailer because the writer streams; a reader learns that a
 * delta is whole only at its last byte, so it must not act on the records until
 * {@link readVectorDelta} resolves. Format 1 (one JSON document, {@link decodeVectorDelta}) is
 * still read, buffered, for deltas written before format 2.
 */
export const VECTOR_DELTA_FORMAT = 2;

/** The content type deltas of format 2 are stored with. */
export const VECTOR_DELTA_CONTENT_TYPE = 'application/vnd.receiptflow.vector-delta';

/** Chunks of bytes, sync or async: what a streamed object is read from or written with. */
export type ByteChunks = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

const MAGIC = [0x52, 0x46, 0x56, 0x44]; // "RFVD"
const END = [0x52, 0x46, 0x56, 0x45]; // "RFVE"
const JSON_OPEN_BRACE = 0x7b;
const TRAILER_BYTES = 4 + 4 + 16;
/** Bounds on what one frame may claim, so that a corrupt length cannot make the reader buffer without end. */
const MAX_HEADER_BYTES = 64 * 1024;
// A record's JSON is an id, a document of at most MAX_TEXT_CHARS (2,000) characters and a little
// metadata; 1 MiB is far above any real record and still a small, fixed buffer.
const MAX_RECORD_JSON_BYTES = 1024 * 1024;
const MAX_DIMENSIONS = 65_536;
const DEFAULT_CHUNK_BYTES = 64 * 1024;

/** What a delta says about itself, once it has been read to its end and checked. */
export interface VectorDeltaSummary extends DeltaHeader {
  format_version: 1 | 2;
  dimensions: number;
  count: number;
  checksum: string;
  /** Encoded size in bytes. */
  bytes: number;
}

/**
 * Encodes a delta in format 2 as a sequence of chunks of about `chunkBytes` (the last may be
 * smaller), built one at a time as the consumer pulls: the whole encoding never exists at once.
 * Throws ValidationError for a vector of the wrong length or one that float32 cannot hold.
 *
 * @example
 * await deltas.putStream(deltaKey('words', run_id), encodeVectorDeltaStream(header, 512, records), {
 *   contentType: VECTOR_DELTA_CONTENT_TYPE,
 * });
 */
export function* encodeVectorDeltaStream(
  header: DeltaHeader,
  dimensions: number,
  records: readonly VectorRecord[],
  options: { chunkBytes?: number } = {},
): Generator<Uint8Array, void, undefined> {
  const encoder = new DeltaEncoder(header, dimensions, records.length, options.chunkBytes);
  for (const record of records) {
    const chunk = encoder.record(record);
    if (chunk) yield chunk;
  }
  yield encoder.finish();
}

/**
 * The same encoding from records that arrive in pages (a whole vector collection read page by
 * page: a server-mode snapshot, vector-snapshot.ts), with the count stated up front because the
 * header carries it. Only one page and one chunk are held at a time. A source that yields
 * another number of records than `count` throws ValidationError before the trailer, so a store
 * writing the stream (ImageStore.putStream) keeps nothing.
 *
 * @example
 * await store.putStream(key, encodeVectorDeltaPages(header, 512, await index.count('lines'), index.scan('lines')));
 */
export async function* encodeVectorDeltaPages(
  header: DeltaHeader,
  dimensions: number,
  count: number,
  pages: Iterable<readonly VectorRecord[]> | AsyncIterable<readonly VectorRecord[]>,
  options: { chunkBytes?: number } = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const encoder = new DeltaEncoder(header, dimensions, count, options.chunkBytes);
  for await (const page of pages) {
    for (const record of page) {
      const chunk = encoder.record(record);
      if (chunk) yield chunk;
    }
  }
  yield encoder.finish();
}

/** Frames records into format-2 chunks, hashing as it goes; the caller pulls chunks when full. */
class DeltaEncoder {
  private readonly chunkBytes: number;
  private readonly encoder = new TextEncoder();
  private readonly hash = new Fnv1a64();
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;

  constructor(
    header: DeltaHeader,
    private readonly dimensions: number,
    private readonly count: number,
    chunkBytes: number | undefined,
  ) {
    this.chunkBytes = chunkBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS)
      throw new ValidationError(`a delta needs 1..${MAX_DIMENSIONS} dimensions, got ${dimensions}`);
    if (!Number.isInteger(count) || count < 0)
      throw new ValidationError(`a delta counts 0 or more records, got ${count}`);
    const headerJson = this.encoder.encode(
      JSON.stringify({ format_version: VECTOR_DELTA_FORMAT, ...pick(header), dimensions, count }),
    );
    const prefix = new Uint8Array(9);
    prefix.set(MAGIC, 0);
    prefix[4] = VECTOR_DELTA_FORMAT;
    new DataView(prefix.buffer).setUint32(5, headerJson.length, true);
    this.push(prefix);
    this.push(headerJson);
  }

  /** Adds one record; returns a chunk once about `chunkBytes` are pending. */
  record(record: VectorRecord): Uint8Array | null {
    const dimensions = this.dimensions;
    if (++this.written > this.count)
      throw new ValidationError(`more records than the ${this.count} the delta's header counts`);
    if (record.vector.length !== dimensions)
      throw new ValidationError(`record ${record.id} has ${record.vector.length} dimensions, expected ${dimensions}`);
    const json = this.encoder.encode(
      JSON.stringify({ id: record.id, document: record.document, metadata: record.metadata }),
    );
    const frame = new Uint8Array(4 + json.length + 4 * dimensions);
    new DataView(frame.buffer).setUint32(0, json.length, true);
    frame.set(json, 4);
    frame.set(float32Bytes(record, dimensions), 4 + json.length);
    this.push(frame);
    return this.pendingBytes >= this.chunkBytes ? this.take() : null;
  }

  /** The last chunk, with the trailer; throws if fewer records came than counted. */
  finish(): Uint8Array {
    if (this.written !== this.count)
      throw new ValidationError(`${this.written} records, but the delta's header counts ${this.count}`);
    const trailer = new Uint8Array(TRAILER_BYTES);
    trailer.set(END, 0);
    new DataView(trailer.buffer).setUint32(4, this.count, true);
    trailer.set(this.encoder.encode(this.hash.hex()), 8);
    this.pending.push(trailer);
    this.pendingBytes += trailer.length;
    return this.take();
  }

  private push(bytes: Uint8Array): void {
    this.hash.update(bytes);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  private take(): Uint8Array {
    const chunk = concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return chunk;
  }
}

/**
 * The whole format-2 encoding in one array: for tests and small deltas only; writers stream
 * {@link encodeVectorDeltaStream} instead.
 */
export function encodeVectorDeltaBytes(
  header: DeltaHeader,
  dimensions: number,
  records: readonly VectorRecord[],
): Uint8Array {
  const chunks = [...encodeVectorDeltaStream(header, dimensions, records)];
  return concat(
    chunks,
    chunks.reduce((n, c) => n + c.length, 0),
  );
}

/**
 * Reads a delta from a stream of chunks, handing each record to `onRecord` as it is decoded and
 * holding no more than one frame and one chunk at a time. Checks everything
 * (docs/lessons.md#lesson-12-corrupt-deltas-published-while-still-open): the frame structure,
 * each record's schema, finite vectors, the record count against header and trailer, the
 * checksum, nothing after the trailer, and — when given — that it is the delta the caller
 * expects (checked from the header, before any record). Anything wrong, a truncation included,
 * throws CorruptDeltaError; errors of the byte source itself pass through unchanged.
 *
 * Records arrive BEFORE the checksum is checked: a caller that must not act on a corrupt delta
 * collects them (or only counts them) and acts once this resolves.
 *
 * A format-1 (JSON) delta, recognised by its first byte, is read whole and checked by
 * {@link decodeVectorDelta}: those were written before format 2 and are bounded by their size then.
 *
 * @example
 * const records: VectorRecord[] = [];
 * const { body } = await deltas.getStream(run.words.delta_key);
 * const summary = await readVectorDelta(body, { expected: header, onRecord: (r) => records.push(r) });
 */
export async function readVectorDelta(
  chunks: ByteChunks,
  options: { expected?: DeltaHeader; onRecord?: (record: VectorRecord) => void } = {},
): Promise<VectorDeltaSummary> {
  const records = vectorDeltaRecords(chunks, options.expected ? { expected: options.expected } : {});
  for (;;) {
    const next = await records.next();
    if (next.done) return next.value;
    options.onRecord?.(next.value);
  }
}

/**
 * {@link readVectorDelta} as an async generator: yields each record as it is decoded (pulled, so
 * a slow consumer slows the read instead of buffering) and returns the summary once the whole
 * delta has checked out. The same rule holds: the records are only known good when the
 * generator returns; a caller loading them somewhere must be able to throw that work away
 * (a server-mode restore loads into a collection no reader sees until then).
 *
 * @example
 * const records = vectorDeltaRecords(body, { expected });
 * for (let next = await records.next(); !next.done; next = await records.next()) page.push(next.value);
 */
export async function* vectorDeltaRecords(
  chunks: ByteChunks,
  options: { expected?: DeltaHeader } = {},
): AsyncGenerator<VectorRecord, VectorDeltaSummary, undefined> {
  const reader = new ChunkReader(chunks);
  try {
    const first = await reader.peekByte();
    if (first === JSON_OPEN_BRACE) return yield* readJsonDelta(reader, options);
    return yield* readBinaryDelta(reader, options);
  } finally {
    await reader.close();
  }
}

async function* readBinaryDelta(
  reader: ChunkReader,
  options: { expected?: DeltaHeader },
): AsyncGenerator<VectorRecord, VectorDeltaSummary, undefined> {
  const hash = new Fnv1a64();
  const read = async (n: number, what: string): Promise<Uint8Array> => {
    const bytes = await reader.take(n);
    if (!bytes) throw new CorruptDeltaError(`delta is truncated: ends after ${reader.consumed} bytes, in ${what}`);
    hash.update(bytes);
    return bytes;
  };

  const prefix = await read(9, 'the prefix');
  if (!MAGIC.every((b, i) => prefix[i] === b))
    throw new CorruptDeltaError('not a vector delta: it starts with neither "RFVD" nor "{"');
  if (prefix[4] !== VECTOR_DELTA_FORMAT)
    throw new CorruptDeltaError(`vector delta format ${prefix[4]} is not one this reader knows (1, 2)`);
  const headerLength = u32(prefix, 5);
  if (headerLength > MAX_HEADER_BYTES)
    throw new CorruptDeltaError(`delta header claims ${headerLength} bytes, more than ${MAX_HEADER_BYTES}`);
  const header = parseHeader(await read(headerLength, 'the header'));
  checkExpected(header, options.expected);

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const vectorBytes = 4 * header.dimensions;
  for (let n = 0; n < header.count; n++) {
    const where = `record ${n + 1} of ${header.count}`;
    const jsonLength = u32(await read(4, where), 0);
    if (jsonLength > MAX_RECORD_JSON_BYTES)
      throw new CorruptDeltaError(
        `delta ${where} claims ${jsonLength} bytes of JSON, more than ${MAX_RECORD_JSON_BYTES}`,
      );
    const json = await read(jsonLength, where);
    const vector = float32Values(await read(vectorBytes, where));
    const bad = vector.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new CorruptDeltaError(`delta ${where} has a non-finite value at dimension ${bad}`);
    let raw: unknown;
    try {
      raw = JSON.parse(decoder.decode(json));
    } catch (error) {
      throw new CorruptDeltaError(`delta ${where} is not valid JSON`, { cause: error });
    }
    // The vector is checked above: zod checking 512 numbers one by one was most of a read.
    const parsed = RecordFieldsSchema.safeParse(raw);
    if (!parsed.success || !isObject(raw)) {
      const issues = parsed.success
        ? ['not an object']
        : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      throw new CorruptDeltaError(`delta ${where} fails its schema: ${issues.slice(0, 3).join('; ')}`);
    }
    const { id, document, metadata } = parsed.data;
    yield { id, vector, document, metadata };
  }

  const checksum = `fnv1a64:${hash.hex()}`;
  const trailer = await reader.take(TRAILER_BYTES);
  if (!trailer) throw new CorruptDeltaError(`delta is truncated: ends after ${reader.consumed} bytes, in its trailer`);
  if (!END.every((b, i) => trailer[i] === b))
    throw new CorruptDeltaError(`delta has no trailer after its ${header.count} records (more records than counted?)`);
  const trailerCount = u32(trailer, 4);
  if (trailerCount !== header.count)
    throw new CorruptDeltaError(`delta trailer counts ${trailerCount} records, its header ${header.count}`);
  const stated = `fnv1a64:${new TextDecoder().decode(trailer.subarray(8))}`;
  if (stated !== checksum)
    throw new CorruptDeltaError(
      `delta ${header.run_id}/${header.collection} checksum is ${checksum}, trailer says ${stated}`,
    );
  if ((await reader.peekByte()) !== null)
    throw new CorruptDeltaError(`delta has bytes after its trailer (${reader.consumed} read so far)`);
  return { ...header, format_version: 2, checksum, bytes: reader.consumed };
}

async function* readJsonDelta(
  reader: ChunkReader,
  options: { expected?: DeltaHeader },
): AsyncGenerator<VectorRecord, VectorDeltaSummary, undefined> {
  const bytes = await reader.rest();
  const delta = decodeVectorDelta(bytes, options.expected);
  yield* delta.records;
  return {
    ...pick(delta),
    format_version: 1,
    dimensions: delta.dimensions,
    count: delta.count,
    checksum: delta.checksum,
    bytes: bytes.length,
  };
}

interface BinaryHeader extends DeltaHeader {
  dimensions: number;
  count: number;
}

function parseHeader(bytes: Uint8Array): BinaryHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new CorruptDeltaError('delta header is not valid JSON', { cause: error });
  }
  const h = (isObject(raw) ? raw : {}) as Record<string, unknown>;
  const ok =
    h['format_version'] === VECTOR_DELTA_FORMAT &&
    typeof h['run_id'] === 'string' &&
    typeof h['image_id'] === 'string' &&
    Number.isInteger(h['receipt_id']) &&
    (h['collection'] === 'lines' || h['collection'] === 'words') &&
    Number.isInteger(h['dimensions']) &&
    (h['dimensions'] as number) >= 1 &&
    (h['dimensions'] as number) <= MAX_DIMENSIONS &&
    Number.isInteger(h['count']) &&
    (h['count'] as number) >= 0;
  if (!ok) throw new CorruptDeltaError(`delta header is not a format-2 header: ${JSON.stringify(raw).slice(0, 200)}`);
  return {
    run_id: h['run_id'] as string,
    image_id: h['image_id'] as string,
    receipt_id: h['receipt_id'] as number,
    collection: h['collection'] as Collection,
    dimensions: h['dimensions'] as number,
    count: h['count'] as number,
  };
}

function checkExpected(actual: DeltaHeader, expected: DeltaHeader | undefined): void {
  if (!expected) return;
  for (const field of ['run_id', 'image_id', 'receipt_id', 'collection'] as const) {
    if (actual[field] !== expected[field]) {
      throw new CorruptDeltaError(`delta has ${field} ${String(actual[field])}, expected ${String(expected[field])}`);
    }
  }
}

function pick(h: DeltaHeader): DeltaHeader {
  return { run_id: h.run_id, image_id: h.image_id, receipt_id: h.receipt_id, collection: h.collection };
}

/** A record's JSON part: {@link VectorRecordSchema} without the vector, which travels as float32. */
const RecordFieldsSchema = /* @__PURE__ */ schema(() => VectorRecordSchema.omit({ vector: true }));

/** Typed arrays use the platform's byte order; the format is little-endian (x64 and arm64 are). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The vector as little-endian float32 bytes, throwing ValidationError for a value float32 cannot
 * hold (NaN, ±Infinity, or beyond ±3.4e38). One typed-array copy instead of a DataView call per value.
 */
function float32Bytes(record: VectorRecord, dimensions: number): Uint8Array {
  const floats = Float32Array.from(record.vector);
  for (let i = 0; i < dimensions; i++) {
    if (!Number.isFinite(floats[i]!))
      throw new ValidationError(
        `record ${record.id} has a value float32 cannot hold at dimension ${i}: ${record.vector[i]}`,
      );
  }
  const bytes = new Uint8Array(floats.buffer);
  if (!LITTLE_ENDIAN) {
    const view = new DataView(floats.buffer);
    for (let i = 0; i < dimensions; i++) view.setFloat32(4 * i, record.vector[i]!, true);
  }
  return bytes;
}

/** Little-endian float32 bytes (at any alignment) as numbers. */
function float32Values(bytes: Uint8Array): number[] {
  const n = bytes.length / 4;
  if (!LITTLE_ENDIAN) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, true));
  }
  // A Float32Array needs 4-byte alignment; a frame inside a chunk may not have it, so copy.
  // `new Uint8Array(bytes)`, not `bytes.slice()`: a node Buffer's slice is a view at the same offset.
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  return Array.from(new Float32Array(aligned.buffer, aligned.byteOffset, n));
}

function u32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Pulls chunks from a byte source only as far as the reader needs: it holds the unread tail of
 * the current chunk plus, while a frame spans chunks, that frame's bytes.
 */
class ChunkReader {
  private readonly iterator: Iterator<Uint8Array> | AsyncIterator<Uint8Array>;
  private buffer: Uint8Array = new Uint8Array(0);
  private position = 0;
  private done = false;
  /** Bytes handed out so far. */
  consumed = 0;

  constructor(source: ByteChunks) {
    this.iterator =
      Symbol.asyncIterator in source
        ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
        : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  }

  /** The next byte without consuming it; null at the end. */
  async peekByte(): Promise<number | null> {
    if (!(await this.fill(1))) return null;
    return this.buffer[this.position]!;
  }

  /** Exactly `n` bytes, or null when the source ends first. */
  async take(n: number): Promise<Uint8Array | null> {
    if (!(await this.fill(n))) return null;
    const bytes = this.buffer.subarray(this.position, this.position + n);
    this.position += n;
    this.consumed += n;
    return bytes;
  }

  /** Everything left, in one array (format 1 only). */
  async rest(): Promise<Uint8Array> {
    const parts = [this.buffer.subarray(this.position)];
    let length = parts[0]!.length;
    while (!this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        parts.push(next.value);
        length += next.value.length;
      }
    }
    this.buffer = new Uint8Array(0);
    this.position = 0;
    this.consumed += length;
    return concat(parts, length);
  }

  /** Stops the source early (an error or a corrupt delta), so a network body is released. */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.();
    }
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buffer.length - this.position < n) {
      if (this.done) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      if (next.value.length === 0) continue;
      const left = this.buffer.length - this.position;
      if (left === 0) this.buffer = next.value;
      else {
        const joined = new Uint8Array(left + next.value.length);
        joined.set(this.buffer.subarray(this.position), 0);
        joined.set(next.value, left);
        this.buffer = joined;
      }
      this.position = 0;
    }
    return true;
  }
}
