import { describe, expect, it } from 'vitest';
import { ConditionFailedError, IllegalTransitionError, NotFoundError, ValidationError } from '../errors.js';
import type { OcrJobStore } from '../ports/index.js';
import { type ContractSubject, shuffled, defineContract, sorted } from './contract-helpers.js';
import { makeImage, makeJob, makeRoutingDecision, uniqueId } from './fixtures.js';

/** What an OcrJobStore contract factory returns: a fresh, EMPTY store (listings are asserted exactly). */
export type OcrJobStoreContractSubject = ContractSubject<OcrJobStore>;

/**
 * The OcrJobStore contract: conditional creates of images, jobs and routing decisions, atomic
 * state-machine job transitions (one winner among concurrent claims), and job listings.
 * The factory must return a fresh, empty store each call.
 */
export const describeOcrJobStoreContract = defineContract<OcrJobStore>('OcrJobStore', (store) => {
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
      await expect(store.createImage({ ...image, filename: 'other.jpg' })).rejects.toBeInstanceOf(ConditionFailedError);
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

  describe('deleting an image', () => {
    it('deleteImage removes the image, its jobs (found by id no more) and routing decisions; absent is a no-op', async () => {
      const image = makeImage();
      const other = makeImage();
      const job = makeJob({ image_id: image.image_id });
      const kept = makeJob({ image_id: other.image_id });
      await store.createImage(image);
      await store.createImage(other);
      await store.createJob(job);
      await store.createJob(kept);
      await store.createRoutingDecision(makeRoutingDecision({ job_id: job.job_id, image_id: image.image_id }));
      await store.deleteImage(image.image_id);
      expect(await store.getImage(image.image_id)).toBeNull();
      expect(await store.getJob(job.job_id)).toBeNull();
      expect(await store.listJobsForImage(image.image_id)).toEqual([]);
      expect(await store.getRoutingDecision(job.job_id)).toBeNull();
      expect(await store.getImage(other.image_id)).toEqual(other);
      expect(await store.getJob(kept.job_id)).toEqual(kept);
      await expect(store.deleteImage(image.image_id)).resolves.toBeUndefined();
    });

    it('markImageUploaded records the sha256 when given', async () => {
      const image = makeImage();
      await store.createImage(image);
      const sha256 = 'a'.repeat(64);
      expect(await store.markImageUploaded(image.image_id, 10, sha256)).toEqual({
        ...image,
        upload_state: 'UPLOADED',
        size_bytes: 10,
        sha256,
      });
      expect(await store.getImage(image.image_id)).toMatchObject({ sha256 });
    });
  });

  describe('image hash claims', () => {
    const claimOf = (owner: string, sha256: string) => {
      const image_id = uniqueId('img');
      return {
        owner,
        sha256,
        image_id,
        job_id: uniqueId('job'),
        s3_key: `raw/${image_id}/r.png`,
        filename: 'r.png',
        content_type: 'image/png' as const,
        claimed_at: '2024-01-01T00:00:00.000Z',
      };
    };
    const freshSha = () =>
      uniqueId('')
        .replace(/[^0-9a-f]/g, '')
        .padEnd(64, '0')
        .slice(0, 64);

    it('the first claim of some bytes holds; later ones are told the holder; release only by the holder', async () => {
      const sha = freshSha();
      const first = claimOf('alice', sha);
      const second = claimOf('alice', sha);
      expect(await store.getImageHashClaim('alice', sha)).toBeNull();
      expect(await store.claimImageHash(first)).toEqual(first);
      expect(await store.claimImageHash(first)).toEqual(first);
      expect(await store.claimImageHash(second)).toEqual(first);
      expect(await store.getImageHashClaim('alice', sha)).toEqual(first);
      // The same bytes of another owner are another claim.
      const bobs = claimOf('bob', sha);
      expect(await store.claimImageHash(bobs)).toEqual(bobs);

      await store.releaseImageHash('alice', sha, second.image_id);
      expect(await store.getImageHashClaim('alice', sha)).toEqual(first);
      await store.releaseImageHash('alice', sha, first.image_id);
      await store.releaseImageHash('alice', sha, first.image_id);
      expect(await store.getImageHashClaim('alice', sha)).toBeNull();
      expect(await store.claimImageHash(second)).toEqual(second);
    });

    it('of concurrent claims of the same bytes exactly one holds, and every caller is told which', async () => {
      const sha = freshSha();
      const claims = Array.from({ length: 6 }, () => claimOf('alice', sha));
      const holders = await Promise.all(claims.map((c) => store.claimImageHash(c)));
      expect(new Set(holders.map((h) => h.image_id)).size).toBe(1);
      expect(claims).toContainEqual(holders[0]);
    });

    it('refuses a claim whose hash is not 64 lowercase hex digits', async () => {
      await expect(store.claimImageHash(claimOf('alice', 'ABC'))).rejects.toBeInstanceOf(ValidationError);
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
      await expect(store.createJob({ ...job, s3_key: 'raw/x/other.jpg' })).rejects.toBeInstanceOf(ConditionFailedError);
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
      await expect(store.transitionJob(job.job_id, 'COMPLETED', 'PENDING')).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
      await expect(store.transitionJob(job.job_id, 'COMPLETED', 'PROCESSING')).rejects.toBeInstanceOf(
        IllegalTransitionError,
      );
      expect(await store.getJob(job.job_id)).toEqual(job);
    });

    it('a transition from a state the job is not in throws ConditionFailedError and changes nothing', async () => {
      const job = makeJob({ status: 'COMPLETED' });
      await store.createJob(job);
      await expect(store.transitionJob(job.job_id, 'PENDING', 'PROCESSING', { attempts: 9 })).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
      expect(await store.getJob(job.job_id)).toEqual(job);
    });

    it('a transition of an absent job throws NotFoundError and creates nothing', async () => {
      const id = uniqueId('job');
      await expect(store.transitionJob(id, 'PENDING', 'PROCESSING')).rejects.toBeInstanceOf(NotFoundError);
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
      const [a, b, c] = jobs as [(typeof jobs)[0], (typeof jobs)[0], (typeof jobs)[0]];
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
      expect(ids(await store.listJobsByStatus('PENDING', 10, { createdAfter: at(20), createdBefore: at(40) }))).toEqual(
        [j20, j30],
      );
      expect(ids(await store.listJobsByStatus('PENDING', 10, { createdAfter: at(30) }))).toEqual([j30, j40]);
      expect(ids(await store.listJobsByStatus('PENDING', 10, { createdBefore: at(20) }))).toEqual([j10]);
      expect(ids(await store.listJobsByStatus('PENDING', 1, { createdAfter: at(15) }))).toEqual([j20]);
      expect(await store.listJobsByStatus('COMPLETED', 10, { createdAfter: at(0) })).toEqual([]);
    });

    it('countJobsByStatus counts the jobs in each status exactly, up to the cap', async () => {
      const jobs = [makeJob(), makeJob(), makeJob(), makeJob()];
      for (const job of jobs) await store.createJob(job);
      await store.transitionJob(jobs[0]!.job_id, 'PENDING', 'PROCESSING');
      await store.transitionJob(jobs[1]!.job_id, 'PENDING', 'FAILED', { failure_reason: 'not a receipt' });
      expect(await store.countJobsByStatus('PENDING', 100)).toEqual({ count: 2, capped: false });
      expect(await store.countJobsByStatus('PROCESSING', 100)).toEqual({ count: 1, capped: false });
      expect(await store.countJobsByStatus('FAILED', 100)).toEqual({ count: 1, capped: false });
      expect(await store.countJobsByStatus('COMPLETED', 100)).toEqual({ count: 0, capped: false });
      expect(await store.countJobsByStatus('PENDING', 2)).toEqual({ count: 2, capped: false });
      expect(await store.countJobsByStatus('PENDING', 1)).toEqual({ count: 1, capped: true });
      await expect(store.countJobsByStatus('PENDING', 0)).rejects.toBeInstanceOf(ValidationError);
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
      await expect(store.createRoutingDecision({ ...decision, image_type: 'SCAN' })).rejects.toBeInstanceOf(
        ConditionFailedError,
      );
      expect(await store.getRoutingDecision(decision.job_id)).toEqual(decision);
      expect(await store.getRoutingDecision(uniqueId('job'))).toBeNull();
    });
  });
});
