import { describeImageStoreContract } from '@receiptflow/core/testing';
import { S3ImageStore } from '../../src/s3/index.js';
import { createBucket } from '@receiptflow/devkit/emulators';
import { fauxqsS3 } from '@receiptflow/devkit/emulators/suite';

const s3 = fauxqsS3();

// Presigned uploads are S3 POST-object uploads, which fauxqs does not implement (a fidelity gap,
// docs/adapters.md): the suite checks their description, s3-image-store.test.ts their policy.
describeImageStoreContract('S3ImageStore on fauxqs', async () => {
  const bucket = await createBucket(s3().client, 'bucket');
  return { subject: new S3ImageStore(s3().client, { bucket }), sendUpload: null };
});
