import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeVectorIndexFilesContract } from '@receiptflow/core/testing';
import { FsVectorIndexFiles } from '../../src/vector/fs-vector-index-files.js';

describeVectorIndexFilesContract('FsVectorIndexFiles', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rf-index-files-'));
  const subject = new FsVectorIndexFiles(join(dir, 'index'));
  return {
    subject,
    cleanup: async () => {
      await subject.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
