import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HnswFollowerVectorIndex, HnswVectorIndex, FsVectorIndexFiles } from '@receiptflow/adapters-local';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyOf, httpEvent, specLines } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

async function upload(p: LocalPipeline, bytes: Uint8Array) {
  const res = await p.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes }));
  expect(res.statusCode).toBe(201);
  return bodyOf<{ image_id: string; job_id: string }>(res);
}

const follower = (dir: string, collection: string) =>
  new HnswFollowerVectorIndex({
    files: new FsVectorIndexFiles(join(dir, collection)),
    dimensions: 512,
    refreshAfterMs: 0,
  });

async function manifestOf(dir: string, collection: string): Promise<{ fencing_token: number; generation: number }> {
  return JSON.parse(await readFile(join(dir, collection, 'manifest.json'), 'utf8')).p;
}

describe('the pipeline with VECTOR_STORAGE_MODE=efs (a directory standing in for the EFS mount)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'compaction writes the index files under the lock; results answer from them; a new container continues them',
    { timeout: 60_000 },
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'rf-efs-e2e-'));
      const demo = demoReceipts();
      const p = await localPipeline({ efs: { dir, checkpointEvery: 1 } });
      const first = await upload(p, p.ocr.register('a1', specLines(demo[0]!.spec)));
      await p.drain();
      const [run] = await p.adapters.runs.list(first.image_id, 1);
      expect(run?.lines).toMatchObject({ state: 'COMPLETED', merged_count: run?.lines.vector_count });
      expect(run?.words).toMatchObject({ state: 'COMPLETED', merged_count: run?.words.vector_count });
      // The files on the "mount", read by a follower that shares nothing with the pipeline.
      expect(await follower(dir, 'lines').count('lines')).toBe(run!.lines.vector_count);
      expect(await follower(dir, 'words').count('words')).toBe(run!.words.vector_count);
      const lines1 = await manifestOf(dir, 'lines');
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
      const lines2 = await manifestOf(dir, 'lines');
      expect(lines2.fencing_token).toBeGreaterThan(lines1.fencing_token);
      await p.adapters.close();

      // A new compaction container (cold) over the same mount and the same lock table continues the files.
      const q = await localPipeline({ efs: { dir, checkpointEvery: 1, lock: p.adapters.lock } });
      const third = await upload(q, q.ocr.register('b1', specLines(demo[1]!.spec)));
      await q.drain();
      const runs = await Promise.all(
        [first, second, third].map(
          async ({ image_id }) =>
            (await p.adapters.runs.list(image_id, 1))[0] ?? (await q.adapters.runs.list(image_id, 1))[0],
        ),
      );
      const expected = runs.reduce((n, r) => n + r!.lines.vector_count, 0);
      expect(await follower(dir, 'lines').count('lines')).toBe(expected);
      expect(await follower(dir, 'lines').findIds('lines', { image_id: third.image_id })).toHaveLength(
        runs[2]!.lines.vector_count,
      );
      // Checkpoints before every op after the first: snapshots were written on the mount, at most 3 kept.
      const snapshots = await HnswVectorIndex.listSnapshots(join(dir, 'lines'));
      expect(snapshots.length).toBeGreaterThan(0);
      expect(snapshots.length).toBeLessThanOrEqual(3);
      await q.adapters.close();
    },
  );
});
