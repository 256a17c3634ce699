import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConditionFailedError,
  IllegalTransitionError,
  NotFoundError,
} from '../errors.js';
import type { JobStore } from '../ports/index.js';
import {
  makeCompactionRun,
  makeImage,
  makeJob,
  makeReceiptDetails,
  makeReceiptPlace,
  makeRoutingDecision,
  uniqueId,
} from './fixtures.js';

/** What a JobStore contract factory returns: a fresh, EMPTY store (listings are asserted exactly). */
export interface JobStoreContractSubject {
  subject: JobStore;
  cleanup?: () => Promise<void>;
}

function sorted<T>(items: T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function shuffled<T>(items: T[]): T[] {
  // Deterministic reversal-interleave, enough to prove the store sorts on read.
  const out: T[] = [];
  for (let i = 0; i < items.length; i++) {
    out.push(items[i % 2 === 0 ? items.length - 1 - i / 2 : (i - 1) / 2] as T);
  }
  return out;
}

/**
 * The JobStore contract: conditional creates, atomic state-machine transitions, receipts that
 * are never overwritten once written, deletes that leave no child rows, and listings.
 * The factory must return a fresh, empty store each call.
 */
export function describeJobStoreContract(
  name: string,
  factory: () => Promise<JobStoreContractSubject>,
): void {
  describe(`JobStore contract: ${name}`, () => {
    let store: JobStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const created = await factory();
      store = created.subject;
      cleanup = created.cleanup;
    });
    afterEach(async () => {
      await cleanup?.();
    });

    describe('images', () => {
      it('creates and reads back an image; absent → null', async () => {
        const image = makeImage();
        await store.createImage(image);
        expect(await store.getImage(image.image_id)).toEqual(image);
        expect(await store.getImage(uniqueId('img'))).toBeNull();
      });

      it('repeating an identical create succeeds; a different record under the key fails', async () => {
        const image = makeImage();
        await store.createImage(image);
        await expect(store.createImage({ ...image })).resolves.toBeUndefined();
        await expect(store.createImage({ ...image, filename: 'other.jpg' })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
        expect(await store.getImage(image.image_id)).toEqual(image);
      });

      it('markImageUploaded sets UPLOADED and the size, and is idempotent', async () => {
        const image = makeImage();
        await store.createImage(image);
        const first = await store.markImageUploaded(image.image_id, 1234);
        expect(first).toEqual({ ...image, upload_state: 'UPLOADED', size_bytes: 1234 });
        const again = await store.markImageUploaded(image.image_id, 1234);
        expect(again).toEqual(first);
        expect(await store.getImage(image.image_id)).toEqual(first);
      });

      it('markImageUploaded of an absent image throws NotFoundError and creates nothing', async () => {
        const id = uniqueId('img');
        await expect(store.markImageUploaded(id, 10)).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.getImage(id)).toBeNull();
      });

      it('returns copies: mutating what was passed in or read out changes nothing stored', async () => {
        const image = makeImage();
        const original = structuredClone(image);
        await store.createImage(image);
        image.filename = 'mutated.jpg';
        const read = await store.getImage(original.image_id);
        expect(read).toEqual(original);
        if (read) read.filename = 'mutated-again.jpg';
        expect(await store.getImage(original.image_id)).toEqual(original);
      });
    });

    describe('jobs', () => {
      it('creates and reads back a job; absent → null', async () => {
        const job = makeJob();
        await store.createJob(job);
        expect(await store.getJob(job.job_id)).toEqual(job);
        expect(await store.getJob(uniqueId('job'))).toBeNull();
      });

      it('repeating an identical create succeeds; a different record under the key fails', async () => {
        const job = makeJob();
        await store.createJob(job);
        await expect(store.createJob({ ...job })).resolves.toBeUndefined();
        await expect(store.createJob({ ...job, s3_key: 'raw/x/other.jpg' })).rejects.toBeInstanceOf(
          ConditionFailedError,
        );
        expect(await store.getJob(job.job_id)).toEqual(job);
      });

      it('transitions PENDING → PROCESSING → COMPLETED, applying the patch', async () => {
        const job = makeJob();
        await store.createJob(job);
        const processing = await store.transitionJob(job.job_id, 'PENDING', 'PROCESSING', {
          attempts: 1,
        });
        expect(processing).toMatchObject({ job_id: job.job_id, status: 'PROCESSING', attempts: 1 });
        expect(Number.isNaN(Date.parse(processing.updated_at))).toBe(false);
        const sentAt = '2024-01-01T00:01:00.000Z';
        const done = await store.transitionJob(job.job_id, 'PROCESSING', 'COMPLETED', {
          results_sent_at: sentAt,
        });
        expect(done).toMatchObject({ status: 'COMPLETED', attempts: 1, results_sent_at: sentAt });
        expect(await store.getJob(job.job_id)).toEqual(done);
      });

      it('PROCESSING → PROCESSING (re-claim after a crash) is allowed', async () => {
        const job = makeJob({ status: 'PROCESSING', attempts: 1 });
        await store.createJob(job);
        const again = await store.transitionJob(job.job_id, 'PROCESSING', 'PROCESSING', {
          attempts: 2,
        });
        expect(again).toMatchObject({ status: 'PROCESSING', attempts: 2 });
      });

      it('FAILED records its reason; FAILED → PENDING is an explicit retry', async () => {
        const job = makeJob();
        await store.createJob(job);
        const failed = await store.transitionJob(job.job_id, 'PENDING', 'FAILED', {
          failure_reason: 'image missing',
        });
        expect(failed).toMatchObject({ status: 'FAILED', failure_reason: 'image missing' });
        const retried = await store.transitionJob(job.job_id, 'FAILED', 'PENDING');
        expect(retried.status).toBe('PENDING');
      });

      it('an illegal transition throws IllegalTransitionError and changes nothing', async () => {
        const job = makeJob({ status: 'COMPLETED' });
        await store.createJob(job);
        await expect(
          store.transitionJob(job.job_id, 'COMPLETED', 'PENDING'),
        ).rejects.toBeInstanceOf(IllegalTransitionError);
        await expect(
          store.transitionJob(job.job_id, 'COMPLETED', 'PROCESSING'),
        ).rejects.toBeInstanceOf(IllegalTransitionError);
        expect(await store.getJob(job.job_id)).toEqual(job);
      });

      it('a transition from a state the job is not in throws ConditionFailedError and changes nothing', async () => {
        const job = makeJob({ status: 'COMPLETED' });
        await store.createJob(job);
        await expect(
          store.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 9 }),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await store.getJob(job.job_id)).toEqual(job);
      });

      it('a transition of an absent job throws NotFoundError and creates nothing', async () => {
        const id = uniqueId('job');
        await expect(store.transitionJob(id, 'PENDING', 'PROCESSING')).rejects.toBeInstanceOf(
          NotFoundError,
        );
        expect(await store.getJob(id)).toBeNull();
      });

      it('two concurrent PENDING → PROCESSING claims: exactly one wins (lesson: never two workers)', async () => {
        const job = makeJob();
        await store.createJob(job);
        const results = await Promise.allSettled([
          store.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 1 }),
          store.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 1 }),
          store.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 1 }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(2);
        for (const r of lost) expect(r.reason).toBeInstanceOf(ConditionFailedError);
        expect((await store.getJob(job.job_id))?.status).toBe('PROCESSING');
      });

      it('listJobsByStatus returns exactly the jobs in that status, honouring the limit', async () => {
        const jobs = [makeJob(), makeJob(), makeJob()];
        for (const job of jobs) await store.createJob(job);
        const [a, b, c] = jobs as [typeof jobs[0], typeof jobs[0], typeof jobs[0]];
        await store.transitionJob(a.job_id, 'PENDING', 'PROCESSING');
        const pending = await store.listJobsByStatus('PENDING');
        expect(pending.map((j) => j.job_id).sort()).toEqual([b.job_id, c.job_id].sort());
        for (const j of pending) expect(j.status).toBe('PENDING');
        const processing = await store.listJobsByStatus('PROCESSING');
        expect(processing.map((j) => j.job_id)).toEqual([a.job_id]);
        expect(processing[0]?.status).toBe('PROCESSING');
        expect(await store.listJobsByStatus('COMPLETED')).toEqual([]);
        expect(await store.listJobsByStatus('PENDING', 1)).toHaveLength(1);
      });

      it('listJobsByStatus narrows by creation time: after is inclusive, before exclusive, oldest first', async () => {
        const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
        const jobs = [10, 20, 30, 40].map((m) => makeJob({ created_at: at(m), updated_at: at(m) }));
        for (const job of shuffled(jobs)) await store.createJob(job);
        const ids = (listed: { job_id: string }[]) => listed.map((j) => j.job_id);
        const [j10, j20, j30, j40] = jobs.map((j) => j.job_id);
        expect(ids(await store.listJobsByStatus('PENDING', 10, { createdAfter: at(20), createdBefore: at(40) }))).toEqual([j20, j30]);
        expect(ids(await store.listJobsByStatus('PENDING', 10, { createdAfter: at(30) }))).toEqual([j30, j40]);
        expect(ids(await store.listJobsByStatus('PENDING', 10, { createdBefore: at(20) }))).toEqual([j10]);
        expect(ids(await store.listJobsByStatus('PENDING', 1, { createdAfter: at(15) }))).toEqual([j20]);
        expect(await store.listJobsByStatus('COMPLETED', 10, { createdAfter: at(0) })).toEqual([]);
      });

      it('listJobsForImage returns the image’s jobs only', async () => {
        const imageId = uniqueId('img');
        const mine = [makeJob({ image_id: imageId }), makeJob({ image_id: imageId })];
        const other = makeJob();
        for (const job of [...mine, other]) await store.createJob(job);
        const listed = await store.listJobsForImage(imageId);
        expect(sorted(listed, (j) => j.job_id)).toEqual(sorted(mine, (j) => j.job_id));
        expect(await store.listJobsForImage(uniqueId('img'))).toEqual([]);
      });
    });

    describe('routing decisions', () => {
      it('creates and reads back by job id; identical repeat succeeds; different fails', async () => {
        const decision = makeRoutingDecision();
        await store.createRoutingDecision(decision);
        expect(await store.getRoutingDecision(decision.job_id)).toEqual(decision);
        await expect(store.createRoutingDecision({ ...decision })).resolves.toBeUndefined();
        await expect(
          store.createRoutingDecision({ ...decision, image_type: 'SCAN' }),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await store.getRoutingDecision(decision.job_id)).toEqual(decision);
        expect(await store.getRoutingDecision(uniqueId('job'))).toBeNull();
      });
    });

    describe('receipts', () => {
      it('creates a receipt with lines and words and reads it back', async () => {
        const details = makeReceiptDetails();
        const result = await store.createReceipt(details);
        expect(result.created).toBe(true);
        expect(result.details).toEqual(details);
        expect(await store.getReceipt(details.receipt.image_id, 1)).toEqual(details);
        expect(await store.getReceipt(details.receipt.image_id, 2)).toBeNull();
      });

      it('returns lines ordered by line_id and words by (line_id, word_id) whatever the write order', async () => {
        const details = makeReceiptDetails({}, { lineCount: 12, wordsPerLine: 11 });
        await store.createReceipt({
          receipt: details.receipt,
          lines: shuffled(details.lines),
          words: shuffled(details.words),
        });
        const read = await store.getReceipt(details.receipt.image_id, details.receipt.receipt_id);
        expect(read?.lines.map((l) => l.line_id)).toEqual(details.lines.map((l) => l.line_id));
        expect(read?.words.map((w) => [w.line_id, w.word_id])).toEqual(
          details.words.map((w) => [w.line_id, w.word_id]),
        );
        expect(read).toEqual(details);
      });

      it('round-trips a receipt larger than DynamoDB batch limits (30 lines, 240 words)', async () => {
        const details = makeReceiptDetails({ receipt_id: 7 }, { lineCount: 30, wordsPerLine: 8 });
        const result = await store.createReceipt(details);
        expect(result.created).toBe(true);
        const read = await store.getReceipt(details.receipt.image_id, 7);
        expect(read?.lines).toHaveLength(30);
        expect(read?.words).toHaveLength(240);
        expect(read).toEqual(details);
      });

      // docs/lessons.md#lesson-6-a-redelivery-overwrote-enriched-rows
      it('never overwrites an existing receipt: returns created:false and the stored rows', async () => {
        const original = makeReceiptDetails({}, { lineCount: 3, wordsPerLine: 2 });
        await store.createReceipt(original);
        const imageId = original.receipt.image_id;
        const place = makeReceiptPlace({ image_id: imageId, receipt_id: 1 });
        await store.putReceiptPlace(place);
        const redelivered = makeReceiptDetails(
          { image_id: imageId, receipt_id: 1, created_at: '2024-02-02T00:00:00.000Z' },
          { lineCount: 5, wordsPerLine: 1 },
        );
        for (const line of redelivered.lines) line.text = `CHANGED ${line.line_id}`;
        const result = await store.createReceipt(redelivered);
        expect(result.created).toBe(false);
        expect(result.details).toEqual(original);
        expect(await store.getReceipt(imageId, 1)).toEqual(original);
        expect(await store.getReceiptPlace(imageId, 1)).toEqual(place);
      });

      it('an identical repeated createReceipt is not an error', async () => {
        const details = makeReceiptDetails();
        await store.createReceipt(details);
        const again = await store.createReceipt(structuredClone(details));
        expect(again).toEqual({ created: false, details });
      });

      it('listReceipts returns the image’s receipts ordered by receipt_id, with children', async () => {
        const imageId = uniqueId('img');
        const r2 = makeReceiptDetails({ image_id: imageId, receipt_id: 2 }, { lineCount: 2 });
        const r1 = makeReceiptDetails({ image_id: imageId, receipt_id: 1 }, { lineCount: 4 });
        const r10 = makeReceiptDetails({ image_id: imageId, receipt_id: 10 }, { lineCount: 1 });
        const elsewhere = makeReceiptDetails();
        for (const d of [r2, r10, r1, elsewhere]) await store.createReceipt(d);
        expect(await store.listReceipts(imageId)).toEqual([r1, r2, r10]);
        expect(await store.listReceipts(uniqueId('img'))).toEqual([]);
      });

      // docs/lessons.md#lesson-16-stream-events-that-should-do-nothing-did-a-lot
      it('deleteReceipt removes the receipt and every child row, leaving siblings intact', async () => {
        const imageId = uniqueId('img');
        const doomed = makeReceiptDetails({ image_id: imageId, receipt_id: 1 }, { lineCount: 30, wordsPerLine: 4 });
        const sibling = makeReceiptDetails({ image_id: imageId, receipt_id: 2 });
        await store.createReceipt(doomed);
        await store.createReceipt(sibling);
        const placeId = uniqueId('place');
        const doomedPlace = makeReceiptPlace({ image_id: imageId, receipt_id: 1, place_id: placeId });
        const siblingPlace = makeReceiptPlace({ image_id: imageId, receipt_id: 2, place_id: placeId });
        await store.putReceiptPlace(doomedPlace);
        await store.putReceiptPlace(siblingPlace);
        const doomedRun = makeCompactionRun({ image_id: imageId, receipt_id: 1 });
        const siblingRun = makeCompactionRun({ image_id: imageId, receipt_id: 2 });
        await store.createCompactionRun(doomedRun);
        await store.createCompactionRun(siblingRun);

        await store.deleteReceipt(imageId, 1);

        expect(await store.getReceipt(imageId, 1)).toBeNull();
        expect(await store.getReceiptPlace(imageId, 1)).toBeNull();
        expect(await store.getCompactionRun(imageId, 1, doomedRun.run_id)).toBeNull();
        expect(await store.listCompactionRuns(imageId, 1)).toEqual([]);
        expect(await store.listPlacesByPlaceId(placeId)).toEqual([siblingPlace]);
        const unfinished = await store.listUnfinishedCompactionRuns('2999-01-01T00:00:00.000Z');
        expect(unfinished.map((r) => r.run_id)).toEqual([siblingRun.run_id]);
        expect(await store.listReceipts(imageId)).toEqual([sibling]);
        expect(await store.getReceiptPlace(imageId, 2)).toEqual(siblingPlace);

        // No orphaned line/word rows: re-creating the receipt with fewer children reads back
        // exactly those children, and a fresh create is reported as created.
        const smaller = makeReceiptDetails({ image_id: imageId, receipt_id: 1 }, { lineCount: 1, wordsPerLine: 1 });
        const recreated = await store.createReceipt(smaller);
        expect(recreated.created).toBe(true);
        expect(await store.getReceipt(imageId, 1)).toEqual(smaller);
      });

      it('deleting an absent receipt succeeds', async () => {
        await expect(store.deleteReceipt(uniqueId('img'), 3)).resolves.toBeUndefined();
      });
    });

    describe('receipt places', () => {
      it('puts, replaces, reads and deletes the place of a receipt', async () => {
        const place = makeReceiptPlace();
        await store.putReceiptPlace(place);
        expect(await store.getReceiptPlace(place.image_id, place.receipt_id)).toEqual(place);
        const corrected = { ...place, merchant_name: 'Whole Foods', place_id: 'ChIJ-wf', evidence: ['name'] };
        await store.putReceiptPlace(corrected);
        expect(await store.getReceiptPlace(place.image_id, place.receipt_id)).toEqual(corrected);
        await store.deleteReceiptPlace(place.image_id, place.receipt_id);
        expect(await store.getReceiptPlace(place.image_id, place.receipt_id)).toBeNull();
        await expect(store.deleteReceiptPlace(place.image_id, place.receipt_id)).resolves.toBeUndefined();
      });

      it('listPlacesByPlaceId finds receipts resolved to a place, follows replacements, honours limit', async () => {
        const placeId = uniqueId('place');
        const a = makeReceiptPlace({ place_id: placeId });
        const b = makeReceiptPlace({ place_id: placeId, receipt_id: 2 });
        const unresolved = makeReceiptPlace({ place_id: null, merchant_name: null, source: 'none' });
        const elsewhere = makeReceiptPlace();
        for (const p of [a, b, unresolved, elsewhere]) await store.putReceiptPlace(p);
        const key = (p: { image_id: string; receipt_id: number }) => `${p.image_id}/${p.receipt_id}`;
        expect(sorted(await store.listPlacesByPlaceId(placeId), key)).toEqual(sorted([a, b], key));
        expect(await store.listPlacesByPlaceId(placeId, 1)).toHaveLength(1);

        await store.putReceiptPlace({ ...b, place_id: 'ChIJ-moved' });
        expect(await store.listPlacesByPlaceId(placeId)).toEqual([a]);
        expect(await store.listPlacesByPlaceId(uniqueId('place'))).toEqual([]);
      });
    });

    describe('compaction runs', () => {
      it('creates and reads back a run; identical repeat succeeds; different fails', async () => {
        const run = makeCompactionRun();
        await store.createCompactionRun(run);
        expect(await store.getCompactionRun(run.image_id, run.receipt_id, run.run_id)).toEqual(run);
        await expect(store.createCompactionRun(structuredClone(run))).resolves.toBeUndefined();
        await expect(
          store.createCompactionRun({ ...run, lines: { ...run.lines, vector_count: 99 } }),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await store.getCompactionRun(run.image_id, run.receipt_id, uniqueId('run'))).toBeNull();
      });

      it('listCompactionRuns returns one receipt’s runs, oldest first', async () => {
        const imageId = uniqueId('img');
        const newer = makeCompactionRun({ image_id: imageId, created_at: '2024-01-03T00:00:00.000Z' });
        const older = makeCompactionRun({ image_id: imageId, created_at: '2024-01-02T00:00:00.000Z' });
        const otherReceipt = makeCompactionRun({ image_id: imageId, receipt_id: 2 });
        for (const r of [newer, older, otherReceipt]) await store.createCompactionRun(r);
        expect(await store.listCompactionRuns(imageId, 1)).toEqual([older, newer]);
        expect(await store.listCompactionRuns(imageId, 3)).toEqual([]);
      });

      it('transitionCollection moves one collection and applies its patch, leaving the other alone', async () => {
        const run = makeCompactionRun();
        await store.createCompactionRun(run);
        const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
        const processing = await store.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING');
        expect(processing.lines.state).toBe('PROCESSING');
        expect(processing.words).toEqual(run.words);
        const done = await store.transitionCollection(ref, 'lines', 'PROCESSING', 'COMPLETED', {
          merged_count: 3,
        });
        expect(done.lines).toMatchObject({ state: 'COMPLETED', merged_count: 3, error: null });
        expect(done.words).toEqual(run.words);
        expect(await store.getCompactionRun(run.image_id, run.receipt_id, run.run_id)).toEqual(done);
      });

      it('records the error of a FAILED collection', async () => {
        const run = makeCompactionRun({ words: { state: 'PROCESSING' } });
        await store.createCompactionRun(run);
        const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
        const failed = await store.transitionCollection(ref, 'words', 'PROCESSING', 'FAILED', {
          error: 'delta truncated',
        });
        expect(failed.words).toMatchObject({ state: 'FAILED', error: 'delta truncated' });
      });

      it('illegal transitions throw IllegalTransitionError; wrong current state throws ConditionFailedError', async () => {
        const run = makeCompactionRun({ lines: { state: 'COMPLETED', merged_count: 3 } });
        await store.createCompactionRun(run);
        const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
        await expect(
          store.transitionCollection(ref, 'lines', 'COMPLETED', 'PROCESSING'),
        ).rejects.toBeInstanceOf(IllegalTransitionError);
        await expect(
          store.transitionCollection(ref, 'lines', 'PROCESSING', 'COMPLETED'),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(
          store.transitionCollection(ref, 'words', 'PROCESSING', 'COMPLETED'),
        ).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await store.getCompactionRun(run.image_id, run.receipt_id, run.run_id)).toEqual(run);
      });

      it('a transition of an absent run throws NotFoundError', async () => {
        await expect(
          store.transitionCollection(
            { image_id: uniqueId('img'), receipt_id: 1, run_id: uniqueId('run') },
            'lines',
            'PENDING',
            'PROCESSING',
          ),
        ).rejects.toBeInstanceOf(NotFoundError);
      });

      // docs/lessons.md#lesson-3-runs-stuck-pending
      it('lines and words completing concurrently both end COMPLETED', async () => {
        const run = makeCompactionRun({ lines: { state: 'PROCESSING' }, words: { state: 'PROCESSING' } });
        await store.createCompactionRun(run);
        const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
        await Promise.all([
          store.transitionCollection(ref, 'lines', 'PROCESSING', 'COMPLETED', { merged_count: 3 }),
          store.transitionCollection(ref, 'words', 'PROCESSING', 'COMPLETED', { merged_count: 7 }),
        ]);
        const stored = await store.getCompactionRun(run.image_id, run.receipt_id, run.run_id);
        expect(stored?.lines).toMatchObject({ state: 'COMPLETED', merged_count: 3 });
        expect(stored?.words).toMatchObject({ state: 'COMPLETED', merged_count: 7 });
      });

      it('two concurrent claims of the same collection: exactly one wins', async () => {
        const run = makeCompactionRun();
        await store.createCompactionRun(run);
        const ref = { image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id };
        const results = await Promise.allSettled([
          store.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING'),
          store.transitionCollection(ref, 'lines', 'PENDING', 'PROCESSING'),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(lost?.reason).toBeInstanceOf(ConditionFailedError);
      });

      it('listUnfinishedCompactionRuns finds runs older than the cut-off with any collection not COMPLETED', async () => {
        const old = '2024-01-01T00:00:00.000Z';
        const cutoff = '2024-01-02T00:00:00.000Z';
        const young = '2024-01-03T00:00:00.000Z';
        const halfDone = makeCompactionRun({ created_at: old, lines: { state: 'COMPLETED' } });
        const failed = makeCompactionRun({ created_at: old, lines: { state: 'COMPLETED' }, words: { state: 'FAILED' } });
        const pending = makeCompactionRun({ created_at: old, receipt_id: 2 });
        const finished = makeCompactionRun({
          created_at: old,
          lines: { state: 'COMPLETED' },
          words: { state: 'COMPLETED' },
        });
        const tooYoung = makeCompactionRun({ created_at: young });
        for (const r of [halfDone, failed, pending, finished, tooYoung]) await store.createCompactionRun(r);

        const listed = await store.listUnfinishedCompactionRuns(cutoff);
        expect(sorted(listed, (r) => r.run_id)).toEqual(sorted([halfDone, failed, pending], (r) => r.run_id));
        expect(await store.listUnfinishedCompactionRuns(cutoff, 2)).toHaveLength(2);

        // Completing the last collection removes the run from the sweep.
        const ref = { image_id: halfDone.image_id, receipt_id: halfDone.receipt_id, run_id: halfDone.run_id };
        await store.transitionCollection(ref, 'words', 'PENDING', 'PROCESSING');
        await store.transitionCollection(ref, 'words', 'PROCESSING', 'COMPLETED', { merged_count: 3 });
        const after = await store.listUnfinishedCompactionRuns(cutoff);
        expect(after.map((r) => r.run_id).sort()).toEqual([failed.run_id, pending.run_id].sort());
      });
    });
  });
}
