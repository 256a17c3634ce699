import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeVectorIndexFilesContract } from '@receiptflow/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { S3VectorIndexFiles } from '../../src/vector/index.js';
import {
  createTestS3Client,
  startFauxqs,
  uniqueResourceName,
  type RunningEmulator,
} from '@receiptflow/devkit/emulators';

let emulator: RunningEmulator;
let client: S3Client;
beforeAll(async () => {
  emulator = await startFauxqs();
  client = createTestS3Client(emulator.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
});

// A small part size, so the contract's 3 MiB snapshot is fetched in several parallel ranges.
describeVectorIndexFilesContract('S3VectorIndexFiles (fauxqs)', async () => {
  const bucket = uniqueResourceName('vectors');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { subject: new S3VectorIndexFiles(client, { bucket, prefix: 'vectors/index/lines', partBytes: 1024 * 1024 }) };
});
