import { crc32 } from 'node:zlib';
import { open } from 'node:fs/promises';
import { CorruptDataFileError } from './errors.js';

type FileHandle = Awaited<ReturnType<typeof open>>;

/** What an object file says about its object. */
export interface ObjectHeader {
  key: string;
  contentType: string | null;
  metadata: Record<string, string>;
  size: number;
  /** CRC-32 of the body; absent in files written before checksums. */
  bodyCrc32?: number;
}

const MAGIC = 'RFO2';
/** [magic][u32 BE header length][u32 BE CRC-32 of the header JSON]. */
const PREFIX = 12;

/**
 * One object as file bytes: the prefix, the JSON header (which carries the body's CRC-32), then
 * the body. Files written before checksums (`[u32 BE header length][JSON header][body]`) are
 * still read; their first byte is 0 for any sane header length, never 'R'.
 */
export function encodeObjectFile(header: Omit<ObjectHeader, 'bodyCrc32'>, body: Uint8Array): Buffer {
  return Buffer.concat([encodeObjectFileHeader(header, crc32(body)), body]);
}

/**
 * The bytes an object file starts with, for a body whose CRC-32 is already known: a streamed
 * put writes these, then copies the body it has checksummed on the way in.
 */
export function encodeObjectFileHeader(header: Omit<ObjectHeader, 'bodyCrc32'>, bodyCrc32: number): Buffer {
  const json = Buffer.from(JSON.stringify({ ...header, bodyCrc32 }), 'utf8');
  const prefix = Buffer.alloc(PREFIX);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32BE(json.length, 4);
  prefix.writeUInt32BE(crc32(json), 8);
  return Buffer.concat([prefix, json]);
}

/** Reads and checks an object file's header; throws a CorruptDataFileError naming `path`. */
export async function readObjectHeader(
  handle: FileHandle,
  path: string,
): Promise<{ header: ObjectHeader; bodyOffset: number }> {
  const { size: fileSize } = await handle.stat();
  const prefix = Buffer.alloc(PREFIX);
  const { bytesRead } = await handle.read(prefix, 0, PREFIX, 0);
  const legacy = prefix.toString('latin1', 0, 4) !== MAGIC;
  const headerStart = legacy ? 4 : PREFIX;
  if (bytesRead < headerStart)
    throw new CorruptDataFileError(path, 0, `object file is ${fileSize} bytes, shorter than its prefix`);
  const headerLength = legacy ? prefix.readUInt32BE(0) : prefix.readUInt32BE(4);
  if (headerStart + headerLength > fileSize)
    throw new CorruptDataFileError(
      path,
      legacy ? 0 : 4,
      `header length ${headerLength} runs past the end of the ${fileSize}-byte file`,
    );
  const json = Buffer.alloc(headerLength);
  await handle.read(json, 0, headerLength, headerStart);
  if (!legacy && crc32(json) !== prefix.readUInt32BE(8))
    throw new CorruptDataFileError(path, PREFIX, 'object header fails its checksum');
  let header: ObjectHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as ObjectHeader;
  } catch (error) {
    throw new CorruptDataFileError(path, headerStart, 'object header is not JSON', { cause: error });
  }
  const bodyOffset = headerStart + headerLength;
  if (typeof header.key !== 'string' || !Number.isInteger(header.size) || bodyOffset + header.size !== fileSize)
    throw new CorruptDataFileError(
      path,
      bodyOffset,
      `body should be ${header.size} bytes, the file holds ${fileSize - bodyOffset}`,
    );
  return { header, bodyOffset };
}

/** Checks a whole body against its header's checksum (legacy files have none to check). */
export function checkObjectBody(header: ObjectHeader, body: Uint8Array, path: string, bodyOffset: number): void {
  if (header.bodyCrc32 !== undefined && crc32(body) !== header.bodyCrc32)
    throw new CorruptDataFileError(path, bodyOffset, `object body (${body.length} bytes) fails its checksum`);
}

/**
 * Reads and checks a whole object file (header and body); throws a CorruptDataFileError naming
 * `path`. `receipts fsck` runs this over every object.
 */
export async function checkObjectFile(path: string): Promise<ObjectHeader> {
  const handle = await open(path, 'r');
  try {
    const { header, bodyOffset } = await readObjectHeader(handle, path);
    const body = Buffer.alloc(header.size);
    if (header.size > 0) await handle.read(body, 0, header.size, bodyOffset);
    checkObjectBody(header, body, path, bodyOffset);
    return header;
  } finally {
    await handle.close();
  }
}
