import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDeadLetterQueueContract } from '@receiptflow/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptDataFileError, DataStoreWriteError } from '../src/errors.js';
import { FakeClock } from '../src/fake-clock.js';
import { FsDeadLetterJournal } from '../src/fs-dead-letter-journal.js';
import { InMemoryDeadLetterQueue } from '../src/in-memory-dead-letter-queue.js';
import { InMemoryQueue, type QueueJournal } from '../src/in-memory-queue.js';

let dir: string;
let path: string;
const opened: FsDeadLetterJournal[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rf-dlq-'));
  path = join(dir, 'dead-letters', 'work-queue-dlq.log');
});
afterEach(async () => {
  for (const journal of opened.splice(0)) journal.close();
  await rm(dir, { recursive: true, force: true });
});

/** A work queue and its DLQ as `receipts serve` opens them on a data directory. */
async function openPair(clock = new FakeClock()) {
  const { journal, messages, droppedTail } = await FsDeadLetterJournal.open(path, { fsync: false });
  opened.push(journal);
  const dlq = new InMemoryQueue({ name: 'work-queue-dlq', clock, journal, restore: messages });
  const source = new InMemoryQueue({ name: 'work-queue', clock, deadLetter: { queue: dlq, maxReceiveCount: 2 } });
  return { journal, dlq, source, dead: new InMemoryDeadLetterQueue(dlq, source), droppedTail };
}

function close(journal: FsDeadLetterJournal) {
  journal.close();
  opened.splice(opened.indexOf(journal), 1);
}

describeDeadLetterQueueContract('InMemoryDeadLetterQueue over an FsDeadLetterJournal', async () => {
  const { dead, source, dlq } = await openPair();
  return { subject: dead, source, putRaw: async (body) => dlq.acceptDeadLetter(`raw-${body}`, body, 5) };
});

describe('FsDeadLetterJournal', () => {
  it('keeps dead letters across a restart: ids, bodies, receive counts and reasons', async () => {
    const first = await openPair();
    await first.source.send('{"job_id":"poison"}');
    const [leased] = await first.source.receive();
    await leased!.deadLetter('job poison does not exist');
    await first.source.send('{"job_id":"flaky"}');
    for (let i = 0; i < 2; i++) await first.source.receive({ leaseSeconds: 0 }); // fails twice
    await first.source.receive(); // the third receive moves it (maxReceiveCount 2)
    const before = await first.dead.list(10);
    expect(before.map((m) => m.body)).toEqual(['{"job_id":"poison"}', '{"job_id":"flaky"}']);
    close(first.journal);

    const second = await openPair();
    expect(await second.dead.list(10)).toEqual(before);
    expect(before[0]!.note?.reason).toBe('job poison does not exist');
    expect(before[1]!.receiveCount).toBe(2);
  });

  it('a redriven message stays gone after a restart, and the file holds only what is queued', async () => {
    const first = await openPair();
    for (let i = 0; i < 50; i++) first.dlq.acceptDeadLetter(`m${i}`, `{"n":${i}}`, 5);
    expect(await first.dead.redriveAll()).toBe(50);
    first.dlq.acceptDeadLetter('kept', '{"n":"kept"}', 5);
    const grown = (await stat(path)).size;
    close(first.journal);

    const second = await openPair();
    expect((await second.dead.list(100)).map((m) => m.id)).toEqual(['kept']);
    expect((await stat(path)).size).toBeLessThan(grown / 50);
  });

  it('cuts off a torn last append (never acknowledged) and keeps every record before it', async () => {
    const first = await openPair();
    first.dlq.acceptDeadLetter('a', '{"n":1}', 5);
    close(first.journal);
    await appendFile(path, '{"c":"0000');

    const second = await openPair();
    expect(second.droppedTail).toMatchObject({ reason: expect.stringContaining('no newline') });
    second.dlq.acceptDeadLetter('b', '{"n":2}', 5);
    close(second.journal);
    const third = await openPair();
    expect((await third.dead.list(10)).map((m) => m.id)).toEqual(['a', 'b']);
  });

  it('refuses to open a journal damaged mid-file, naming the file and the byte', async () => {
    const first = await openPair();
    first.dlq.acceptDeadLetter('a', '{"n":1}', 5);
    first.dlq.acceptDeadLetter('b', '{"n":2}', 5);
    close(first.journal);
    const bytes = await readFile(path);
    const at = bytes.indexOf('"n\\":1');
    bytes[at + 5] = '7'.charCodeAt(0); // "n":1 becomes "n":7 under the old checksum
    await writeFile(path, bytes);

    const error = await FsDeadLetterJournal.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptDataFileError);
    expect((error as CorruptDataFileError).file).toBe(path);
    expect((error as CorruptDataFileError).offset).toBe(0);
    expect((error as Error).message).toContain('checksum mismatch');
    expect((await FsDeadLetterJournal.read(path))!.messages.map((m) => m.id)).toEqual(['b']);
  });

  it('a journal that cannot record the move leaves the message on its work queue', async () => {
    const clock = new FakeClock();
    const failing: QueueJournal = {
      added: () => {
        throw new DataStoreWriteError(path, 'disk full');
      },
      removed: () => {},
    };
    const dlq = new InMemoryQueue({ name: 'work-queue-dlq', clock, journal: failing });
    const source = new InMemoryQueue({ name: 'work-queue', clock, deadLetter: { queue: dlq, maxReceiveCount: 1 } });
    await source.send('{"job_id":"j"}');
    const [leased] = await source.receive({ leaseSeconds: 30 });
    await expect(leased!.deadLetter('bad')).rejects.toThrow(/disk full/);
    expect(await source.depth()).toEqual({ visible: 0, inFlight: 1 });
    await clock.advance(31_000);
    // The queue's own redrive, on the receive past maxReceiveCount, cannot record it either.
    await expect(source.receive()).rejects.toThrow(/disk full/);
    expect(await source.depth()).toEqual({ visible: 1, inFlight: 0 });
    expect(await dlq.depth()).toEqual({ visible: 0, inFlight: 0 });
  });
});
