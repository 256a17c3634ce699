import { crc32 } from 'node:zlib';
import type { LogDamage } from '../durable/line-log.js';

/** Bytes before each payload: u32 payload length, u32 CRC-32 of the payload. */
const HEADER = 8;

/** A log frame: the payload behind a length and checksum, so a torn tail is detectable. */
export function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(payload.length, 0);
  head.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([head, payload]);
}

export interface FrameScan {
  frames: { offset: number; payload: Buffer }[];
  /** Stretches that are not good frames but are followed by good ones (or are complete frames). */
  damaged: LogDamage[];
  /** An incomplete last frame: an append torn by a crash, never acknowledged. */
  tornTail: LogDamage | null;
  /** Bytes up to the end of the last good frame. */
  goodLength: number;
}

/**
 * Reads every frame of a log. A bad stretch counts as a torn tail only when it is at the end
 * and cannot be a finished write: its frame runs past the end of the file (or is all zeros, a
 * power loss's unwritten blocks), and no good frame follows it. Anything else, such as a flipped
 * byte in the middle, is damage: the scan resynchronises on the next good frame so that a repair
 * can salvage what follows.
 */
export function scanFrames(bytes: Buffer): FrameScan {
  const scan: FrameScan = { frames: [], damaged: [], tornTail: null, goodLength: 0 };
  let offset = 0;
  while (offset < bytes.length) {
    const at = frameAt(bytes, offset);
    if (at.kind === 'good') {
      scan.frames.push({ offset, payload: at.payload });
      offset = at.end;
      scan.goodLength = offset;
      continue;
    }
    const next = nextGoodFrame(bytes, offset + 1);
    if (next < 0) {
      const stretch = { offset, length: bytes.length - offset };
      if (at.kind === 'short' || isZero(bytes, offset)) scan.tornTail = { ...stretch, reason: 'incomplete last frame' };
      else scan.damaged.push({ ...stretch, reason: at.reason });
      break;
    }
    scan.damaged.push({
      offset,
      length: next - offset,
      reason: at.kind === 'short' ? 'frame length runs past good frames' : at.reason,
    });
    offset = next;
  }
  return scan;
}

type FrameAt = { kind: 'good'; payload: Buffer; end: number } | { kind: 'short' } | { kind: 'bad'; reason: string };

function frameAt(bytes: Buffer, offset: number): FrameAt {
  if (offset + HEADER > bytes.length) return { kind: 'short' };
  const length = bytes.readUInt32LE(offset);
  const end = offset + HEADER + length;
  if (end > bytes.length) return { kind: 'short' };
  if (length === 0) return { kind: 'bad', reason: 'empty frame' };
  const payload = bytes.subarray(offset + HEADER, end);
  const stored = bytes.readUInt32LE(offset + 4);
  const actual = crc32(payload);
  if (stored !== actual)
    return {
      kind: 'bad',
      reason: `checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}) over ${length} bytes`,
    };
  return { kind: 'good', payload, end };
}

/** The offset of the next good frame at or after `from`, or -1. Only runs on damaged logs. */
function nextGoodFrame(bytes: Buffer, from: number): number {
  for (let offset = from; offset + HEADER < bytes.length; offset++) {
    const length = bytes.readUInt32LE(offset);
    if (length === 0 || offset + HEADER + length > bytes.length) continue;
    if (frameAt(bytes, offset).kind === 'good') return offset;
  }
  return -1;
}

function isZero(bytes: Buffer, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
