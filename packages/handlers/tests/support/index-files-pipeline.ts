import { setTimeout as sleep } from 'node:timers/promises';
import type { CompactionLock, VectorIndex } from '@receiptflow/core';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import { expect } from 'vitest';
import { bodyOf, httpEvent, specLines } from './fixtures.js';
import { localPipeline, type LocalPipeline, type LocalPipelineOptions } from './local-pipeline.js';

/** Where one file mode (efs, s3) keeps the index, as seen from outside the pipeline. */
export interface IndexFilesUnderTest {
  /** The pipeline's options (`efs` or `s3`, `recorder`), with `checkpointEvery: 1` and the given shared lock. */
  options(lock?: CompactionLock): LocalPipelineOptions;
  /** A cold follower of one collection that shares nothing with the pipeline. */
  follower(collection: 'lines' | 'words'): VectorIndex;
  manifest(collection: 'lines' | 'words'): Promise<{ fencing_token: number }>;
  /** The complete snapshots of the lines collection. */
  snapshotCount(): Promise<number>;
}

async function upload(p: LocalPipeline, bytes: Uint8Array) {
  const res = await p.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes }));
  expect(res.statusCode).toBe(201);
  return bodyOf<{ image_id: string; job_id: string }>(res);
}

/**
 * The end-to-end scenario of a mode that keeps the index files itself: compaction writes them
 * under the lock; the results step answers a repeat merchant from them; a new compaction
 * container sharing the lock table continues them; at most 3 snapshots are kept.
 *
 * @example
 * await writesAnswersAndContinues({ options: (lock) => ({ efs: { dir, checkpointEvery: 1, ...(lock ? { lock } : {}) } }), ... });
 */
export async function writesAnswersAndContinues(files: IndexFilesUnderTest): Promise<void> {
  const demo = demoReceipts();
  const p = await localPipeline(files.options());
  const first = await upload(p, p.ocr.register('a1', specLines(demo[0]!.spec)));
  await p.drain();
  const [run] = await p.adapters.runs.list(first.image_id, 1);
  expect(run?.lines).toMatchObject({ state: 'COMPLETED', merged_count: run?.lines.vector_count });
  expect(run?.words).toMatchObject({ state: 'COMPLETED', merged_count: run?.words.vector_count });
  expect(await files.follower('lines').count('lines')).toBe(run!.lines.vector_count);
  expect(await files.follower('words').count('words')).toBe(run!.words.vector_count);
  const lines1 = await files.manifest('lines');
  expect(lines1.fencing_token).toBeGreaterThan(0);

  // The same merchant again: the results step's followers answer it from the vectors written
  // by compaction (after their refresh interval, 1 s by default).
  await sleep(1100);
  const second = await upload(p, p.ocr.register('a2', specLines(demo[4]!.spec)));
  await p.drain();
  const resolved = p.logger.entries.filter(
    (e) => e.message === 'merchant resolved' && e.fields.image_id === second.image_id,
  );
  expect(resolved.map((e) => e.fields.source)).toEqual(['vector']);
  const lines2 = await files.manifest('lines');
  expect(lines2.fencing_token).toBeGreaterThan(lines1.fencing_token);
  await p.adapters.close();

  // A new compaction container (cold) over the same files and the same lock table continues them.
  const q = await localPipeline(files.options(p.adapters.lock));
  const third = await upload(q, q.ocr.register('b1', specLines(demo[1]!.spec)));
  await q.drain();
  const runs = await Promise.all(
    [first, second, third].map(
      async ({ image_id }) =>
        (await p.adapters.runs.list(image_id, 1))[0] ?? (await q.adapters.runs.list(image_id, 1))[0],
    ),
  );
  const expected = runs.reduce((n, r) => n + r!.lines.vector_count, 0);
  expect(await files.follower('lines').count('lines')).toBe(expected);
  expect(await files.follower('lines').findIds('lines', { image_id: third.image_id })).toHaveLength(
    runs[2]!.lines.vector_count,
  );
  // Checkpoints before every op after the first: snapshots were written, at most 3 kept.
  const snapshots = await files.snapshotCount();
  expect(snapshots).toBeGreaterThan(0);
  expect(snapshots).toBeLessThanOrEqual(3);
  await q.adapters.close();
}
