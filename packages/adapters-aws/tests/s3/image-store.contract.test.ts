import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeImageStoreContract } from '@receiptflow/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { S3ImageStore } from '../../src/s3/index.js';
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

// Presigned uploads are S3 POST-object uploads, which fauxqs does not implement (a fidelity gap,
// docs/adapters.md): the suite checks their description, s3-image-store.test.ts their policy.
describeImageStoreContract('S3ImageStore on fauxqs', async () => {
  const bucket = uniqueResourceName('bucket');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { subject: new S3ImageStore(client, { bucket }), sendUpload: null };
});
