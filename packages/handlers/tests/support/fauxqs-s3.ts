import type { S3Client } from '@aws-sdk/client-s3';
import { createTestS3Client, startFauxqs, type RunningEmulator } from '@receiptflow/devkit/emulators';
import { afterAll, beforeAll } from 'vitest';

/**
 * Starts fauxqs for the enclosing suite (stopped after it) and returns a getter of an S3 client
 * pointed at it.
 *
 * @example
 * const s3 = fauxqsS3();
 * it('…', async () => { await s3().client.send(new CreateBucketCommand({ Bucket: 'b' })); });
 */
export function fauxqsS3(): () => { client: S3Client; endpoint: string } {
  let emulator: RunningEmulator | undefined;
  let client: S3Client | undefined;
  beforeAll(async () => {
    emulator = await startFauxqs();
    client = createTestS3Client(emulator.endpoint);
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
  });
  return () => {
    if (!emulator || !client)
      throw new Error('fauxqs is not running: call fauxqsS3() inside a suite, use it in a test');
    return { client, endpoint: emulator.endpoint };
  };
}
