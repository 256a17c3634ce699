import { crc32 } from 'node:zlib';

/** Bytes before each payload: u32 payload length, u32 CRC-32 of the payload. */
const HEADER = 8;

/** A log frame: the payload behind a length and checksum, so a torn tail is detectable. */
export function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

/**
 * The complete frames of a log and the byte length they cover. Reading stops at the first
 * incomplete or corrupt frame: that is a write torn by a crash, and nothing after it was
 * acknowledged (appends are sequential).
 */
export function readFrames(bytes: Buffer): { payloads: Buffer[]; validLength: number } {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset + HEADER <= bytes.length) {
    const length = bytes.readUInt32LE(offset);
    const checksum = bytes.readUInt32LE(offset + 4);
    const end = offset + HEADER + length;
    if (end > bytes.length) break;
    const payload = bytes.subarray(offset + HEADER, end);
    if (crc32(payload) !== checksum) break;
    payloads.push(payload);
    offset = end;
  }
  return { payloads, validLength: offset };
}
