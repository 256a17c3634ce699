import { describeExportArtifactsContract } from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import { S3ExportArtifacts } from '../../src/s3/index.js';
import { createBucket, createTestS3Client } from '@receiptflow/devkit/emulators';
import { fauxqsS3 } from '@receiptflow/devkit/emulators/suite';

const s3 = fauxqsS3();

async function freshBucket(): Promise<string> {
  return createBucket(s3().client, 'exports');
}

describeExportArtifactsContract('S3ExportArtifacts on fauxqs', async () => ({
  subject: new S3ExportArtifacts(s3().client, { bucket: await freshBucket() }),
}));

describe('S3ExportArtifacts streaming', () => {
  it(
    'sends each part as it fills, before the chunk source is exhausted, and saves as an attachment',
    { timeout: 120_000 },
    async () => {
      const bucket = await freshBucket();
      const sent: string[] = [];
      const created: object[] = [];
      const recorder = createTestS3Client(s3().endpoint);
      recorder.middlewareStack.add(
        (next, context) => async (args) => {
          sent.push(context.commandName ?? '?');
          if (context.commandName === 'CreateMultipartUploadCommand') created.push(args.input as object);
          return next(args);
        },
        { step: 'initialize', name: 'recordCommands' },
      );
      const store = new S3ExportArtifacts(recorder, { bucket });
      // 16 MiB in 256 KiB chunks; when the last chunk is pulled, parts must already have gone.
      const partsBeforeEnd: number[] = [];
      async function* chunks(): AsyncIterable<string> {
        for (let i = 0; i < 64; i++) {
          if (i === 63) partsBeforeEnd.push(sent.filter((c) => c === 'UploadPartCommand').length);
          yield 'x'.repeat(256 * 1024 - 1) + '\n';
        }
      }
      const stored = await store.put('exports/alice/stream.csv', chunks(), 'text/csv; charset=utf-8');
      expect(stored.bytes).toBe(16 * 1024 * 1024);
      expect(partsBeforeEnd[0]).toBeGreaterThanOrEqual(2);
      expect(sent.filter((c) => c === 'UploadPartCommand').length).toBe(4);
      expect(sent).toContain('CompleteMultipartUploadCommand');
      // fauxqs keeps no Content-Disposition (a fidelity gap, docs/adapters.md): what is sent is asserted.
      expect(created).toEqual([
        expect.objectContaining({
          Key: 'exports/alice/stream.csv',
          ContentType: 'text/csv; charset=utf-8',
          ContentDisposition: 'attachment; filename="stream.csv"',
        }),
      ]);
      recorder.destroy();
    },
  );
});
