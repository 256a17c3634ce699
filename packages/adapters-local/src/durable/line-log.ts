import { decodeCheckedLine } from './checked-line.js';

/** One good record of a line log, at its byte offset. */
export interface LogRecord<T> {
  offset: number;
  length: number;
  value: T;
  /** Written before checksums existed: parsed, but not checked. */
  legacy: boolean;
}

/** A stretch of a log that is not a good record. */
export interface LogDamage {
  offset: number;
  length: number;
  reason: string;
}

export interface LogScan<T> {
  records: LogRecord<T>[];
  /** Complete records (newline-terminated) that fail their checksum or do not parse. */
  damaged: LogDamage[];
  /**
   * Bytes after the last newline: an append torn by a crash. Every acknowledged append ends
   * with a newline, so nothing in it was acknowledged.
   */
  tornTail: LogDamage | null;
  /** Bytes up to the end of the last complete record. */
  goodLength: number;
}

/**
 * Reads every line of a checked line log (see checked-line.ts). `parse` turns a verified payload
 * (or a legacy line) into a value and throws if it is not one; a throw marks the line damaged.
 * The scan never stops at damage, so a repair can salvage every good record after it.
 */
export function scanLineLog<T>(bytes: Buffer, parse: (text: string, legacy: boolean) => T): LogScan<T> {
  const scan: LogScan<T> = { records: [], damaged: [], tornTail: null, goodLength: 0 };
  let offset = 0;
  while (offset < bytes.length) {
    const newline = bytes.indexOf(0x0a, offset);
    if (newline < 0) {
      scan.tornTail = { offset, length: bytes.length - offset, reason: 'incomplete last record (no newline)' };
      break;
    }
    const length = newline + 1 - offset;
    const line = bytes.subarray(offset, newline);
    if (line.length > 0) {
      const decoded = decodeCheckedLine(line);
      if (decoded.kind === 'bad') {
        scan.damaged.push({ offset, length, reason: decoded.reason });
      } else {
        const legacy = decoded.kind === 'legacy';
        try {
          scan.records.push({ offset, length, legacy, value: parse(legacy ? decoded.text : decoded.payload, legacy) });
        } catch (error) {
          scan.damaged.push({ offset, length, reason: error instanceof Error ? error.message : String(error) });
        }
      }
    }
    offset = newline + 1;
    scan.goodLength = offset;
  }
  return scan;
}
