import { ReceiptflowError } from '@receiptflow/core';
import { describe, expect, it } from 'vitest';
import { FakeClockStalledError, JournalRecordError } from '../src/errors.js';
import { FakeClock } from '../src/fake-clock.js';
import { parseJournalRecord } from '../src/job-table/job-journal.js';

describe('adapters-local named errors', () => {
  it('FakeClock.runUntil on a promise nothing sleeps on → FakeClockStalledError (FAKE_CLOCK_STALLED)', async () => {
    const error = await new FakeClock().runUntil(new Promise(() => {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FakeClockStalledError);
    expect(error).toMatchObject({ code: 'FAKE_CLOCK_STALLED' });
  });

  it('FakeClock.runUntil past its step limit → FakeClockStalledError naming the limit', async () => {
    const clock = new FakeClock();
    const forever = (async () => {
      for (;;) await clock.sleep(1_000);
    })();
    const error = await clock.runUntil(forever, 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FakeClockStalledError);
    expect((error as Error).message).toContain('not settled after 3 wake-ups');
  });

  it('a checked journal line of another version → JournalRecordError (JOURNAL_RECORD_INVALID)', () => {
    expect(() => parseJournalRecord('{"v":3,"changes":[]}', false)).toThrow(JournalRecordError);
    const error = (() => {
      try {
        parseJournalRecord('{"v":2}', false);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ReceiptflowError);
    expect(error).toMatchObject({ code: 'JOURNAL_RECORD_INVALID', message: 'not a version 2 journal record' });
    expect(parseJournalRecord('{"v":2,"changes":[]}', false)).toEqual([]);
  });
});
