import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeImageStoreContract } from '@receiptflow/core/testing';
import { afterAll, beforeAll } from 'vitest';
import { S3ImageStore } from '../../src/s3/index.js';
import { createTestS3Client, startFauxqs, uniqueResourceName, type RunningEmulator } from '../../src/testing/index.js';

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

// The suite's default putViaUrl is a real fetch PUT to the presigned URL on fauxqs.
describeImageStoreContract('S3ImageStore on fauxqs', async () => {
  const bucket = uniqueResourceName('bucket');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { subject: new S3ImageStore(client, { bucket }) };
});
