import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HnswFollowerVectorIndex, HnswVectorIndex, FsVectorIndexFiles } from '@receiptflow/adapters-local';
import { afterEach, describe, it } from 'vitest';
import { writesAnswersAndContinues } from './support/index-files-pipeline.js';

describe('the pipeline with VECTOR_STORAGE_MODE=efs (a directory standing in for the EFS mount)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'compaction writes the index files under the lock; results answer from them; a new container continues them',
    { timeout: 60_000 },
    async () => {
      const root = (dir = await mkdtemp(join(tmpdir(), 'rf-efs-e2e-')));
      await writesAnswersAndContinues({
        options: (lock) => ({ efs: { dir: root, checkpointEvery: 1, ...(lock ? { lock } : {}) } }),
        follower: (collection) =>
          new HnswFollowerVectorIndex({
            files: new FsVectorIndexFiles(join(root, collection)),
            dimensions: 512,
            refreshAfterMs: 0,
          }),
        manifest: async (collection) => JSON.parse(await readFile(join(root, collection, 'manifest.json'), 'utf8')).p,
        snapshotCount: async () => (await HnswVectorIndex.listSnapshots(join(root, 'lines'))).length,
      });
    },
  );
});
