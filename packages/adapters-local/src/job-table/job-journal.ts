import { readFile } from 'node:fs/promises';
import { ChangeRecordSchema, type ChangeRecord } from '@receiptflow/core';
import { encodeCheckedLine } from '../durable/checked-line.js';
import { scanLineLog, type LogScan } from '../durable/line-log.js';
import { JournalRecordError } from '../errors.js';

/** The job table's journal file name inside the store's directory. */
export const JOB_JOURNAL = 'job-table.jsonl';

/**
 * One committed operation as a journal line: `{"c":"<crc32>","p":{"v":2,"changes":[…]}}`.
 * Version 1 lines (`{"v":1,"changes":[…]}`, no checksum) are still read.
 */
export function encodeJournalRecord(changes: readonly ChangeRecord[]): Buffer {
  return encodeCheckedLine(JSON.stringify({ v: 2, changes }));
}

/** Parses a verified payload (or a legacy v1 line) into its change records; throws if it is not one. */
export function parseJournalRecord(text: string, legacy: boolean): ChangeRecord[] {
  const parsed = JSON.parse(text) as { v?: unknown; changes?: unknown };
  const version = legacy ? 1 : 2;
  if (parsed === null || typeof parsed !== 'object' || parsed.v !== version || !Array.isArray(parsed.changes))
    throw new JournalRecordError(`not a version ${version} journal record`);
  return parsed.changes.map((c) => ChangeRecordSchema.parse(c));
}

/** Scans a journal's bytes: good records, damaged ones, and a torn tail. */
export function scanJournal(bytes: Buffer): LogScan<ChangeRecord[]> {
  return scanLineLog(bytes, parseJournalRecord);
}

/** Reads and scans the journal at `path`; null when there is none. */
export async function readJournal(path: string): Promise<{ bytes: Buffer; scan: LogScan<ChangeRecord[]> } | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return { bytes, scan: scanJournal(bytes) };
}
