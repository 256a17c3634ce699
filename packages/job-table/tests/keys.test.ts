import { describe, expect, it } from 'vitest';
import {
  compactionRunSk,
  compactionRunsPrefix,
  jobGsi1Sk,
  lineSk,
  linesPrefix,
  placeSk,
  receiptSk,
  rowKeyOf,
  wordSk,
} from '../src/index.js';

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

describe('job-table key layout', () => {
  it('sorts padded receipt, line and word ids numerically', () => {
    expect([receiptSk(10), receiptSk(2), receiptSk(1)].sort(byString)).toEqual([
      'RECEIPT#00001',
      'RECEIPT#00002',
      'RECEIPT#00010',
    ]);
    const keys = [wordSk(1, 10, 2), lineSk(1, 10), wordSk(1, 9, 11), lineSk(1, 9), wordSk(1, 9, 2)];
    expect(keys.sort(byString)).toEqual([
      lineSk(1, 9),
      wordSk(1, 9, 2),
      wordSk(1, 9, 11),
      lineSk(1, 10),
      wordSk(1, 10, 2),
    ]);
  });

  it("puts every child row of a receipt under its prefix, and none of another receipt's", () => {
    const children = [lineSk(1, 3), wordSk(1, 3, 4), placeSk(1), compactionRunSk(1, 'run-a')];
    for (const sk of children) expect(sk.startsWith(`${receiptSk(1)}#`)).toBe(true);
    for (const sk of [receiptSk(10), lineSk(10, 1), placeSk(11), compactionRunSk(12, 'run-a')]) {
      expect(sk.startsWith(`${receiptSk(1)}#`)).toBe(false);
    }
    expect(wordSk(1, 3, 4).startsWith(linesPrefix(1))).toBe(true);
    expect(placeSk(1).startsWith(linesPrefix(1))).toBe(false);
    expect(compactionRunSk(1, 'run-a').startsWith(compactionRunsPrefix(1))).toBe(true);
  });

  it('orders jobs by creation time, then job id, in GSI1SK', () => {
    const sks = [
      jobGsi1Sk('2026-01-01T00:00:02.000Z', 'job-a'),
      jobGsi1Sk('2026-01-01T00:00:01.000Z', 'job-b'),
      jobGsi1Sk('2026-01-01T00:00:01.000Z', 'job-a'),
    ];
    expect(sks.sort(byString).map((sk) => sk.slice(-5))).toEqual(['job-a', 'job-b', 'job-a']);
    // A bare timestamp bound sorts before every job created at that instant (inclusive after).
    expect(byString('2026-01-01T00:00:01.000Z', sks[0]!)).toBe(-1);
  });

  it('rowKeyOf keys each entity the way the builders do', () => {
    const r = { image_id: 'img-1', job_id: 'job-1', receipt_id: 2, line_id: 7, word_id: 3, run_id: 'run-1' };
    expect(rowKeyOf('IMAGE', r)).toEqual({ PK: 'IMAGE#img-1', SK: 'IMAGE' });
    expect(rowKeyOf('OCR_JOB', r)).toEqual({ PK: 'IMAGE#img-1', SK: 'OCR_JOB#job-1' });
    expect(rowKeyOf('ROUTING', r)).toEqual({ PK: 'IMAGE#img-1', SK: 'ROUTING#job-1' });
    expect(rowKeyOf('RECEIPT', r).SK).toBe('RECEIPT#00002');
    expect(rowKeyOf('RECEIPT_LINE', r).SK).toBe('RECEIPT#00002#LINE#00007');
    expect(rowKeyOf('RECEIPT_WORD', r).SK).toBe('RECEIPT#00002#LINE#00007#WORD#00003');
    expect(rowKeyOf('RECEIPT_PLACE', r).SK).toBe('RECEIPT#00002#PLACE');
    expect(rowKeyOf('COMPACTION_RUN', r).SK).toBe('RECEIPT#00002#COMPACTION_RUN#run-1');
  });

  it('rowKeyOf names the field a record lacks instead of building a key with "undefined" in it', () => {
    expect(() => rowKeyOf('RECEIPT_LINE', { image_id: 'img-1', receipt_id: 2 })).toThrow(
      /RECEIPT_LINE record has no line_id/,
    );
  });
});
