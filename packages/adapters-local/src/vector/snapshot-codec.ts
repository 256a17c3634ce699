import { crc32 } from 'node:zlib';
import type { VectorMetadata } from '@receiptflow/core';
import { CorruptDataFileError, VectorIndexModeMismatchError } from '../errors.js';
import type { HnswGraphState } from './hnsw-graph.js';
import { RecordTable } from './record-table.js';
import type { VectorQuantization } from './vector-math.js';

const MAGIC = 'RFVS';
/** Version 2 adds the trailer; version 1 snapshots (no checksum) are still read. */
const VERSION = 2;
const TRAILER_MAGIC = 'RFVE';
/** [u32 CRC-32 of every byte before the trailer]['RFVE']. */
const TRAILER = 8;

interface SnapshotHeader {
  dimensions: number;
  size: number;
  M: number;
  entry: number;
  maxLevel: number;
  upperLength: number;
  /**
   * The walk's storage mode the graph was built in; absent means 'none' (every snapshot written
   * before int8 existed). The codes themselves are not stored: they are derived from the vectors.
   */
  quantization?: VectorQuantization;
  ids: string[];
  documents: string[];
  metadata: VectorMetadata[];
}

type Typed = Float32Array | Int32Array | Uint8Array | Uint16Array;

/** Pads to 4 bytes so every typed section starts aligned. */
function padded(bytes: number): number {
  return (bytes + 3) & ~3;
}

function bytesOf(array: Typed): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * A collection's table and graph as buffers, to be written in order: [magic][u32 version]
 * [u32 header length][JSON header, padded] then the typed sections, each padded to 4 bytes,
 * then the trailer: the CRC-32 of everything before it and 'RFVE'. A snapshot is read whole at
 * startup anyway, so one checksum over the file costs one pass; a mismatch refuses the file.
 * Dead slots are kept (the graph routes through them); their id is ''.
 */
export function encodeSnapshot(table: RecordTable, graph: HnswGraphState): Buffer[] {
  const size = table.size;
  const header: SnapshotHeader = {
    dimensions: table.dimensions,
    size,
    M: graph.M,
    entry: graph.entry,
    maxLevel: graph.maxLevel,
    upperLength: graph.upper.length,
    ...(table.quantization !== 'none' ? { quantization: table.quantization } : {}),
    ids: Array.from({ length: size }, (_, slot) => (table.alive[slot] === 1 ? table.ids[slot]! : '')),
    documents: table.documents.slice(0, size),
    metadata: table.metadata.slice(0, size),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(12);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(VERSION, 4);
  head.writeUInt32LE(json.length, 8);
  const sections: Typed[] = [
    table.vectors.subarray(0, size * table.dimensions),
    table.norms.subarray(0, size),
    table.alive.subarray(0, size),
    graph.levels,
    graph.links0,
    graph.counts0,
    graph.scores0,
    graph.upper,
  ];
  const out: Buffer[] = [head, json, Buffer.alloc(padded(json.length) - json.length)];
  for (const section of sections) {
    out.push(bytesOf(section));
    out.push(Buffer.alloc(padded(section.byteLength) - section.byteLength));
  }
  let crc = 0;
  for (const part of out) crc = crc32(part, crc);
  const trailer = Buffer.alloc(TRAILER);
  trailer.writeUInt32LE(crc, 0);
  trailer.write(TRAILER_MAGIC, 4, 'latin1');
  out.push(trailer);
  return out;
}

/**
 * Checks a snapshot's trailer; returns the length of the checked body, or throws naming `file`.
 * Version 1 files have no trailer: the whole file is the body, unchecked.
 */
export function checkSnapshot(bytes: Buffer, file: string): number {
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== MAGIC)
    throw new CorruptDataFileError(file, 0, 'not a vector snapshot (bad magic)');
  const version = bytes.readUInt32LE(4);
  if (version === 1) return bytes.length;
  if (version !== VERSION) throw new CorruptDataFileError(file, 4, `unknown snapshot version ${version}`);
  const body = bytes.length - TRAILER;
  if (body < 12 || bytes.toString('latin1', body + 4, body + 8) !== TRAILER_MAGIC)
    throw new CorruptDataFileError(file, Math.max(0, body), 'snapshot trailer missing (truncated file)');
  const stored = bytes.readUInt32LE(body);
  const actual = crc32(bytes.subarray(0, body));
  if (stored !== actual)
    throw new CorruptDataFileError(
      file,
      0,
      `checksum mismatch over bytes 0-${body} (stored ${stored.toString(16)}, computed ${actual.toString(16)})`,
    );
  return body;
}

/**
 * Reads a snapshot back into a fresh table and the graph state to restore over it. A snapshot
 * written in another `quantization` mode throws {@link VectorIndexModeMismatchError}.
 */
export function decodeSnapshot(
  whole: Buffer,
  dimensions: number,
  file: string,
  quantization: VectorQuantization = 'none',
): { table: RecordTable; graph: HnswGraphState } {
  const bytes = whole.subarray(0, checkSnapshot(whole, file));
  const jsonLength = bytes.readUInt32LE(8);
  let header: SnapshotHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 12, 12 + jsonLength)) as SnapshotHeader;
  } catch (error) {
    throw new CorruptDataFileError(file, 12, 'snapshot header is not JSON', { cause: error });
  }
  if (header.dimensions !== dimensions)
    throw new CorruptDataFileError(file, 12, `snapshot has ${header.dimensions} dimensions, expected ${dimensions}`);
  const stored = header.quantization ?? 'none';
  if (stored !== quantization) throw new VectorIndexModeMismatchError(file, stored, quantization);
  let offset = 12 + padded(jsonLength);
  const take = <T extends Typed>(make: (buffer: ArrayBuffer) => T, byteLength: number): T => {
    if (offset + byteLength > bytes.length) throw new CorruptDataFileError(file, bytes.length, 'snapshot is truncated');
    const copy = new Uint8Array(byteLength);
    copy.set(bytes.subarray(offset, offset + byteLength));
    offset += padded(byteLength);
    return make(copy.buffer);
  };
  const { size, M } = header;
  const vectors = take((b) => new Float32Array(b), size * dimensions * 4);
  const norms = take((b) => new Float32Array(b), size * 4);
  const alive = take((b) => new Uint8Array(b), size);
  const levels = take((b) => new Uint8Array(b), size);
  const links0 = take((b) => new Int32Array(b), size * 2 * M * 4);
  const counts0 = take((b) => new Uint16Array(b), size * 2);
  const scores0 = take((b) => new Float32Array(b), size * 2 * M * 4);
  const upper = take((b) => new Int32Array(b), header.upperLength * 4);

  const table = new RecordTable(dimensions, Math.max(1024, size), quantization);
  for (let slot = 0; slot < size; slot++) {
    table.restore(
      header.ids[slot]!,
      vectors.subarray(slot * dimensions, (slot + 1) * dimensions),
      norms[slot]!,
      header.documents[slot]!,
      header.metadata[slot]!,
      alive[slot] === 1,
    );
  }
  return {
    table,
    graph: { M, size, entry: header.entry, maxLevel: header.maxLevel, levels, links0, counts0, scores0, upper },
  };
}
