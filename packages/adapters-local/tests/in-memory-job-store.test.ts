import { describe, expect, it } from 'vitest';
import type { ChangeRecord } from '@receiptflow/core';
import {
  describeJobStoreContract,
  makeCompactionRun,
  makeJob,
  makeReceiptDetails,
  makeReceiptPlace,
} from '@receiptflow/core/testing';
import { FakeClock } from '../src/fake-clock.js';
import { InMemoryJobStore } from '../src/in-memory-job-store.js';

describeJobStoreContract('InMemoryJobStore', async () => ({ subject: new InMemoryJobStore() }));

function recording() {
  const clock = new FakeClock(Date.UTC(2024, 5, 1));
  const store = new InMemoryJobStore({ clock });
  const changes: ChangeRecord[] = [];
  const unsubscribe = store.subscribe((c) => changes.push(c));
  return { store, changes, unsubscribe, clock };
}

describe('InMemoryJobStore change feed', () => {
  it('emits INSERT with the new image, MODIFY with old and new, in sequence order', async () => {
    const { store, changes } = recording();
    const job = makeJob();
    await store.createJob(job);
    await store.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 1 });
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
    await store.createJob(job);
    await store.createJob({ ...job });
    await expect(store.transitionJob(job.job_id, 'PROCESSING', 'FAILED')).rejects.toThrow();
    expect(changes.map((c) => c.event_name)).toEqual(['INSERT']);
  });

  it('createReceipt emits one INSERT per row; a repeat emits nothing', async () => {
    const { store, changes } = recording();
    const details = makeReceiptDetails({}, { lineCount: 2, wordsPerLine: 3 });
    await store.createReceipt(details);
    await store.createReceipt(details);
    expect(changes.map((c) => c.entity)).toEqual([
      'RECEIPT',
      'RECEIPT_LINE',
      'RECEIPT_LINE',
      ...Array(6).fill('RECEIPT_WORD'),
    ]);
    expect(changes.every((c) => c.event_name === 'INSERT')).toBe(true);
  });

  it('deleteReceipt emits a REMOVE with the old image for every child row, then the receipt', async () => {
    const { store, changes } = recording();
    const details = makeReceiptDetails({}, { lineCount: 1, wordsPerLine: 2 });
    const { image_id } = details.receipt;
    await store.createReceipt(details);
    const place = makeReceiptPlace({ image_id });
    await store.putReceiptPlace(place);
    const run = makeCompactionRun({ image_id });
    await store.createCompactionRun(run);
    changes.length = 0;

    await store.deleteReceipt(image_id, 1);

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
    await store.putReceiptPlace(place);
    await store.putReceiptPlace({ ...place, merchant_name: 'Whole Foods' });
    expect(changes[1]).toMatchObject({
      event_name: 'MODIFY',
      entity: 'RECEIPT_PLACE',
      old_image: { merchant_name: "Trader Joe's" },
      new_image: { merchant_name: 'Whole Foods' },
    });
  });

  it('listeners get copies, can unsubscribe, and a throwing listener does not fail the write', async () => {
    const { store, changes, unsubscribe } = recording();
    store.subscribe(() => {
      throw new Error('listener bug');
    });
    const job = makeJob();
    await store.createJob(job);
    (changes[0]!.new_image as { status: string }).status = 'FAILED';
    expect((await store.getJob(job.job_id))?.status).toBe('PENDING');
    unsubscribe();
    await store.createJob(makeJob());
    expect(changes).toHaveLength(1);
  });
});

describe('InMemoryJobStore validation', () => {
  it('refuses an invalid record and a receipt whose words belong elsewhere', async () => {
    const store = new InMemoryJobStore();
    await expect(store.createJob({ ...makeJob(), job_id: 'bad id!' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const details = makeReceiptDetails();
    details.words[0]!.line_id = 99;
    await expect(store.createReceipt(details)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
