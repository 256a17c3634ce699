import { crc32 } from 'node:zlib';

/**
 * A checked line is still one JSON value, `{"c":"<crc32 hex>","p":<payload>}`, with the checksum
 * first and at a fixed width, so that the payload's exact bytes can be sliced out and checked
 * without re-serialising anything (re-serialising could hide or invent differences).
 */
const HEAD = '{"c":"';
const MIDDLE = '","p":';
const PAYLOAD_START = HEAD.length + 8 + MIDDLE.length;

/** `payload` (a JSON text) as one checked line, newline included. */
export function encodeCheckedLine(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const crc = crc32(body).toString(16).padStart(8, '0');
  return Buffer.concat([Buffer.from(`${HEAD}${crc}${MIDDLE}`, 'latin1'), body, Buffer.from('}\n', 'latin1')]);
}

export type CheckedLine =
  | { kind: 'checked'; payload: string }
  /** A line written before checksums existed: its JSON is all there is to check. */
  | { kind: 'legacy'; text: string }
  | { kind: 'bad'; reason: string };

/** Checks one line (without its newline). */
export function decodeCheckedLine(line: Buffer): CheckedLine {
  if (line.length > 0 && line.toString('latin1', 0, HEAD.length) !== HEAD) {
    return { kind: 'legacy', text: line.toString('utf8') };
  }
  if (
    line.length < PAYLOAD_START + 1 ||
    line.toString('latin1', PAYLOAD_START - MIDDLE.length, PAYLOAD_START) !== MIDDLE
  )
    return { kind: 'bad', reason: 'not a checked record' };
  if (line[line.length - 1] !== 0x7d) return { kind: 'bad', reason: 'record does not end with "}"' };
  const stored = line.toString('latin1', HEAD.length, HEAD.length + 8);
  const payload = line.subarray(PAYLOAD_START, line.length - 1);
  const actual = crc32(payload).toString(16).padStart(8, '0');
  if (stored !== actual) return { kind: 'bad', reason: `checksum mismatch (stored ${stored}, computed ${actual})` };
  return { kind: 'checked', payload: payload.toString('utf8') };
}
