import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeExportArtifactsContract } from '@receiptflow/core/testing';
import { NotFoundError } from '@receiptflow/core';
import { FsExportArtifacts } from '../src/fs-export-artifacts.js';

describeExportArtifactsContract('FsExportArtifacts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fs-export-artifacts-'));
  const subject = new FsExportArtifacts({ bucket: 'exports', dir: join(dir, 'exports'), fsync: false });
  return {
    subject,
    fetchDownload: async (url) => {
      try {
        const object = await subject.openPresignedDownload(url);
        const parts: Uint8Array[] = [];
        for await (const chunk of object.body) parts.push(chunk);
        return { body: new Uint8Array(Buffer.concat(parts)), contentType: object.contentType };
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
