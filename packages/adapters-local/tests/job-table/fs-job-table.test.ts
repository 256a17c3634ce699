import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeCompactionRunStoreContract,
  describeOcrJobStoreContract,
  describeReceiptStoreContract,
  makeCompactionRun,
  makeImage,
  makeJob,
  makeReceiptDetails,
  makeReceiptPlace,
} from '@receiptflow/core/testing';
import { FsJobTable } from '../../src/job-table/fs-job-table.js';
import { InMemoryCompactionRunStore } from '../../src/job-table/in-memory-compaction-run-store.js';
import { InMemoryOcrJobStore } from '../../src/job-table/in-memory-ocr-job-store.js';
import { InMemoryReceiptStore } from '../../src/job-table/in-memory-receipt-store.js';
import { jobTableStores } from '../../src/job-table/job-table-stores.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-job-table-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A fresh journaled table in its own directory, removed on cleanup. */
async function freshTable(): Promise<{ table: FsJobTable; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-job-table-contract-'));
  const table = await FsJobTable.open(dir);
  return {
    table,
    cleanup: async () => {
      await table.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeOcrJobStoreContract('InMemoryOcrJobStore on FsJobTable', async () => {
  const { table, cleanup } = await freshTable();
  return { subject: new InMemoryOcrJobStore({ table }), cleanup };
});
describeReceiptStoreContract('InMemoryReceiptStore on FsJobTable', async () => {
  const { table, cleanup } = await freshTable();
  return { subject: new InMemoryReceiptStore({ table }), runs: new InMemoryCompactionRunStore({ table }), cleanup };
});
describeCompactionRunStoreContract('InMemoryCompactionRunStore on FsJobTable', async () => {
  const { table, cleanup } = await freshTable();
  return { subject: new InMemoryCompactionRunStore({ table }), cleanup };
});

/** The three stores over the journal in `dir`, closed through their table. */
async function openStores(dir: string) {
  const table = await FsJobTable.open(dir);
  return { table, ...jobTableStores(table), close: () => table.close() };
}

describe('FsJobTable persistence', () => {
  it('a reopened store sees every record, in its latest state, and deletions stay deleted', async () => {
    const dir = await tempDir();
    const first = await openStores(dir);
    const image = makeImage();
    const job = makeJob({ image_id: image.image_id });
    const kept = makeReceiptDetails({ image_id: image.image_id, receipt_id: 1 }, { lineCount: 30, wordsPerLine: 4 });
    const deleted = makeReceiptDetails({ image_id: image.image_id, receipt_id: 2 });
    const place = makeReceiptPlace({ image_id: image.image_id, receipt_id: 1 });
    const run = makeCompactionRun({ image_id: image.image_id, receipt_id: 1 });
    await first.jobs.createImage(image);
    await first.jobs.markImageUploaded(image.image_id, 42);
    await first.jobs.createJob(job);
    await first.jobs.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 1 });
    await first.receipts.create(kept);
    await first.receipts.create(deleted);
    await first.receipts.putPlace(place);
    await first.runs.create(run);
    const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
    const transitioned = await first.runs.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING');
    await first.receipts.delete(image.image_id, 2);
    await first.close();

    const second = await openStores(dir);
    expect(await second.jobs.getImage(image.image_id)).toMatchObject({ upload_state: 'UPLOADED', size_bytes: 42 });
    expect(await second.jobs.getJob(job.job_id)).toMatchObject({ status: 'PROCESSING', attempts: 1 });
    expect(await second.jobs.listJobsByStatus('PROCESSING')).toHaveLength(1);
    expect(await second.receipts.get(image.image_id, 1)).toEqual(kept);
    expect(await second.receipts.get(image.image_id, 2)).toBeNull();
    expect(await second.receipts.getPlace(image.image_id, 1)).toEqual(place);
    expect(await second.runs.get(ref)).toEqual(transitioned);
    // The state machine keeps working on replayed records.
    await expect(second.jobs.transitionJob(job.job_id, 'PENDING', 'PROCESSING')).rejects.toMatchObject({
      code: 'CONDITION_FAILED',
    });
    await second.close();
  });

  it('change sequence numbers keep growing across a reopen', async () => {
    const dir = await tempDir();
    const first = await openStores(dir);
    const seqs: string[] = [];
    first.table.subscribe((c) => seqs.push(c.sequence!));
    await first.jobs.createJob(makeJob());
    await first.close();
    const second = await openStores(dir);
    second.table.subscribe((c) => seqs.push(c.sequence!));
    await second.jobs.createJob(makeJob());
    await second.close();
    expect(Number(seqs[1])).toBeGreaterThan(Number(seqs[0]));
  });

  it('a torn last line (crash mid-append) is dropped whole, and later appends are readable', async () => {
    const dir = await tempDir();
    const first = await openStores(dir);
    const job = makeJob();
    await first.jobs.createJob(job);
    await first.close();
    await appendFile(join(dir, 'job-table.jsonl'), '{"v":1,"changes":[{"event_name":"INSE');

    const second = await openStores(dir);
    expect(await second.jobs.getJob(job.job_id)).toEqual(job);
    const later = makeJob();
    await second.jobs.createJob(later);
    await second.close();

    const third = await openStores(dir);
    expect(await third.jobs.getJob(later.job_id)).toEqual(later);
    await third.close();
    const text = await readFile(join(dir, 'job-table.jsonl'), 'utf8');
    expect(text.trim().split('\n')).toHaveLength(2);
  });

  it('refuses a journal corrupted in the middle rather than silently losing records', async () => {
    const dir = await tempDir();
    await appendFile(join(dir, 'job-table.jsonl'), 'garbage\n{"v":1,"changes":[]}\n');
    await expect(openStores(dir)).rejects.toThrow(/job-table\.jsonl is corrupt at byte 0: record on line 1/);
  });
});
