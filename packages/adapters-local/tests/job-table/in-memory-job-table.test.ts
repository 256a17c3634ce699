import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '@receiptflow/core';
import {
  describeCompactionRunStoreContract,
  describeOcrJobStoreContract,
  describeReceiptStoreContract,
  makeCompactionRun,
  makeJob,
  makeReceiptDetails,
  makeReceiptPlace,
} from '@receiptflow/core/testing';
import { FakeClock } from '../../src/fake-clock.js';
import { InMemoryCompactionRunStore } from '../../src/job-table/in-memory-compaction-run-store.js';
import { InMemoryJobTable } from '../../src/job-table/in-memory-job-table.js';
import { InMemoryOcrJobStore } from '../../src/job-table/in-memory-ocr-job-store.js';
import { InMemoryReceiptStore } from '../../src/job-table/in-memory-receipt-store.js';
import { jobTableStores } from '../../src/job-table/job-table-stores.js';

describeOcrJobStoreContract('InMemoryOcrJobStore', async () => ({ subject: new InMemoryOcrJobStore() }));
describeReceiptStoreContract('InMemoryReceiptStore', async () => {
  const table = new InMemoryJobTable();
  return { subject: new InMemoryReceiptStore({ table }), runs: new InMemoryCompactionRunStore({ table }) };
});
describeCompactionRunStoreContract('InMemoryCompactionRunStore', async () => ({
  subject: new InMemoryCompactionRunStore(),
}));

function recording() {
  const clock = new FakeClock(Date.UTC(2024, 5, 1));
  const table = new InMemoryJobTable();
  const store = jobTableStores(table, { clock });
  const changes: ChangeRecord[] = [];
  const unsubscribe = table.subscribe((c) => changes.push(c));
  return { table, store, changes, unsubscribe, clock };
}

describe('InMemoryJobTable change feed (one feed for all three stores)', () => {
  it('emits INSERT with the new image, MODIFY with old and new, in sequence order', async () => {
    const { store, changes } = recording();
    const job = makeJob();
    await store.jobs.createJob(job);
    await store.jobs.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 1 });
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({ event_name: 'INSERT', entity: 'OCR_JOB', old_image: null, new_image: job });
    expect(changes[1]).toMatchObject({
      event_name: 'MODIFY',
      entity: 'OCR_JOB',
      old_image: job,
      new_image: { ...job, status: 'PROCESSING', attempts: 1, updated_at: '2024-06-01T00:00:00.000Z' },
    });
    expect(Number(changes[1]!.sequence)).toBeGreaterThan(Number(changes[0]!.sequence));
  });

  it('an identical repeated create and a refused transition emit nothing', async () => {
    const { store, changes } = recording();
    const job = makeJob({ status: 'COMPLETED' });
    await store.jobs.createJob(job);
    await store.jobs.createJob({ ...job });
    await expect(store.jobs.transitionJob(job.job_id, 'PROCESSING', 'FAILED')).rejects.toThrow();
    expect(changes.map((c) => c.event_name)).toEqual(['INSERT']);
  });

  it('receipts.create emits one INSERT per row; a repeat emits nothing', async () => {
    const { store, changes } = recording();
    const details = makeReceiptDetails({}, { lineCount: 2, wordsPerLine: 3 });
    await store.receipts.create(details);
    await store.receipts.create(details);
    expect(changes.map((c) => c.entity)).toEqual([
      'RECEIPT',
      'RECEIPT_LINE',
      'RECEIPT_LINE',
      ...Array(6).fill('RECEIPT_WORD'),
    ]);
    expect(changes.every((c) => c.event_name === 'INSERT')).toBe(true);
  });

  it('receipts.delete emits a REMOVE with the old image for every child row, then the receipt', async () => {
    const { store, changes } = recording();
    const details = makeReceiptDetails({}, { lineCount: 1, wordsPerLine: 2 });
    const { image_id } = details.receipt;
    await store.receipts.create(details);
    const place = makeReceiptPlace({ image_id });
    await store.receipts.putPlace(place);
    const run = makeCompactionRun({ image_id });
    await store.runs.create(run);
    changes.length = 0;

    await store.receipts.delete(image_id, 1);

    expect(changes.every((c) => c.event_name === 'REMOVE' && c.new_image === null)).toBe(true);
    expect(changes.map((c) => c.entity).sort()).toEqual(
      ['COMPACTION_RUN', 'RECEIPT', 'RECEIPT_LINE', 'RECEIPT_PLACE', 'RECEIPT_WORD', 'RECEIPT_WORD'].sort(),
    );
    expect(changes.at(-1)).toMatchObject({ entity: 'RECEIPT', old_image: details.receipt });
    expect(changes.find((c) => c.entity === 'RECEIPT_PLACE')?.old_image).toEqual(place);
  });

  it('a place replacement is a MODIFY carrying both merchants', async () => {
    const { store, changes } = recording();
    const place = makeReceiptPlace();
    await store.receipts.putPlace(place);
    await store.receipts.putPlace({ ...place, merchant_name: 'Whole Foods' });
    expect(changes[1]).toMatchObject({
      event_name: 'MODIFY',
      entity: 'RECEIPT_PLACE',
      old_image: { merchant_name: "Trader Joe's" },
      new_image: { merchant_name: 'Whole Foods' },
    });
  });

  it('listeners get copies, can unsubscribe, and a throwing listener does not fail the write', async () => {
    const { table, store, changes, unsubscribe } = recording();
    table.subscribe(() => {
      throw new Error('listener bug');
    });
    const job = makeJob();
    await store.jobs.createJob(job);
    (changes[0]!.new_image as { status: string }).status = 'FAILED';
    expect((await store.jobs.getJob(job.job_id))?.status).toBe('PENDING');
    unsubscribe();
    await store.jobs.createJob(makeJob());
    expect(changes).toHaveLength(1);
  });
});

describe('in-memory stores validation', () => {
  it('refuses an invalid record and a receipt whose words belong elsewhere', async () => {
    const store = jobTableStores(new InMemoryJobTable());
    await expect(store.jobs.createJob({ ...makeJob(), job_id: 'bad id!' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const details = makeReceiptDetails();
    details.words[0]!.line_id = 99;
    await expect(store.receipts.create(details)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
