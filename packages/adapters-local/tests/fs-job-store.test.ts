import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeJobStoreContract,
  makeCompactionRun,
  makeImage,
  makeJob,
  makeReceiptDetails,
  makeReceiptPlace,
} from '@receiptflow/core/testing';
import { FsJobStore } from '../src/fs-job-store.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fs-job-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describeJobStoreContract('FsJobStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fs-job-store-contract-'));
  const subject = await FsJobStore.open(dir);
  return {
    subject,
    cleanup: async () => {
      await subject.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('FsJobStore persistence', () => {
  it('a reopened store sees every record, in its latest state, and deletions stay deleted', async () => {
    const dir = await tempDir();
    const first = await FsJobStore.open(dir);
    const image = makeImage();
    const job = makeJob({ image_id: image.image_id });
    const kept = makeReceiptDetails({ image_id: image.image_id, receipt_id: 1 }, { lineCount: 30, wordsPerLine: 4 });
    const deleted = makeReceiptDetails({ image_id: image.image_id, receipt_id: 2 });
    const place = makeReceiptPlace({ image_id: image.image_id, receipt_id: 1 });
    const run = makeCompactionRun({ image_id: image.image_id, receipt_id: 1 });
    await first.createImage(image);
    await first.markImageUploaded(image.image_id, 42);
    await first.createJob(job);
    await first.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 1 });
    await first.createReceipt(kept);
    await first.createReceipt(deleted);
    await first.putReceiptPlace(place);
    await first.createCompactionRun(run);
    const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
    const transitioned = await first.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING');
    await first.deleteReceipt(image.image_id, 2);
    await first.close();

    const second = await FsJobStore.open(dir);
    expect(await second.getImage(image.image_id)).toMatchObject({ upload_state: 'UPLOADED', size_bytes: 42 });
    expect(await second.getJob(job.job_id)).toMatchObject({ status: 'PROCESSING', attempts: 1 });
    expect(await second.listJobsByStatus('PROCESSING')).toHaveLength(1);
    expect(await second.getReceipt(image.image_id, 1)).toEqual(kept);
    expect(await second.getReceipt(image.image_id, 2)).toBeNull();
    expect(await second.getReceiptPlace(image.image_id, 1)).toEqual(place);
    expect(await second.getCompactionRun(image.image_id, 1, run.run_id)).toEqual(transitioned);
    // The state machine keeps working on replayed records.
    await expect(second.transitionJob(job.job_id, 'PENDING', 'PROCESSING')).rejects.toMatchObject({
      code: 'CONDITION_FAILED',
    });
    await second.close();
  });

  it('change sequence numbers keep growing across a reopen', async () => {
    const dir = await tempDir();
    const first = await FsJobStore.open(dir);
    const seqs: string[] = [];
    first.subscribe((c) => seqs.push(c.sequence!));
    await first.createJob(makeJob());
    await first.close();
    const second = await FsJobStore.open(dir);
    second.subscribe((c) => seqs.push(c.sequence!));
    await second.createJob(makeJob());
    await second.close();
    expect(Number(seqs[1])).toBeGreaterThan(Number(seqs[0]));
  });

  it('a torn last line (crash mid-append) is dropped whole, and later appends are readable', async () => {
    const dir = await tempDir();
    const first = await FsJobStore.open(dir);
    const job = makeJob();
    await first.createJob(job);
    await first.close();
    await appendFile(join(dir, 'job-table.jsonl'), '{"v":1,"changes":[{"event_name":"INSE');

    const second = await FsJobStore.open(dir);
    expect(await second.getJob(job.job_id)).toEqual(job);
    const later = makeJob();
    await second.createJob(later);
    await second.close();

    const third = await FsJobStore.open(dir);
    expect(await third.getJob(later.job_id)).toEqual(later);
    await third.close();
    const text = await readFile(join(dir, 'job-table.jsonl'), 'utf8');
    expect(text.trim().split('\n')).toHaveLength(2);
  });

  it('refuses a journal corrupted in the middle rather than silently losing records', async () => {
    const dir = await tempDir();
    await appendFile(join(dir, 'job-table.jsonl'), 'garbage\n{"v":1,"changes":[]}\n');
    await expect(FsJobStore.open(dir)).rejects.toThrow(/job-table\.jsonl is corrupt at byte 0: record on line 1/);
  });
});
