import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { DependencyError, encodeVectorDeltaStream, readVectorDelta } from '@receiptflow/core';
import { makeDeltaRecords } from '@receiptflow/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ImageStore } from '../../src/s3/index.js';
import {
  createTestS3Client,
  startFauxqs,
  uniqueResourceName,
  type RunningEmulator,
} from '@receiptflow/devkit/emulators';
import { countCommand, failCommand, interceptCommand, serviceError } from '@receiptflow/devkit/faults';

// issue 20, item 7: a big receipt's words delta is sent as a multipart upload while it is being
// encoded, and never exists whole in the process (the old code built one 32.8 MB PutObject).

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

async function freshStore(): Promise<S3ImageStore> {
  const bucket = uniqueResourceName('bucket');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return new S3ImageStore(client, { bucket });
}

const PART = 5 * 1024 * 1024;
const header = { run_id: 'run-big', image_id: 'img-delta', receipt_id: 1, collection: 'words' as const };

describe('S3ImageStore.putStream: a big delta as a multipart upload, with a bounded buffer', () => {
  it(
    'sends parts while the delta is still being encoded, holding at most about two parts',
    { timeout: 180_000 },
    async () => {
      const store = await freshStore();
      // 12,000 words × 512 dimensions: about 26 MB in format 2, five times the part size.
      const records = makeDeltaRecords(12_000, 512);
      let produced = 0;
      let acknowledged = 0;
      let encoderDone = false;
      let partsBeforeEncoderDone = 0;
      const held: number[] = [];
      const parts = interceptCommand(client, 'UploadPartCommand', async (input, send) => {
        const out = await send(input);
        acknowledged += (input['Body'] as Uint8Array).length;
        if (!encoderDone) partsBeforeEncoderDone += 1;
        return out;
      });
      const puts = countCommand(client, 'PutObjectCommand');
      function* measured() {
        for (const chunk of encodeVectorDeltaStream(header, 512, records)) {
          produced += chunk.length;
          held.push(produced - acknowledged);
          yield chunk;
        }
        encoderDone = true;
      }
      try {
        await store.putStream('deltas/words/run-big.bin', measured());
      } finally {
        parts.remove();
        puts.remove();
      }
      expect(produced).toBeGreaterThan(5 * PART);
      expect(parts.calls).toBeGreaterThanOrEqual(5);
      expect(puts.calls).toBe(0);
      // Uploading started long before the encoder finished: the body was never built whole first.
      expect(partsBeforeEncoderDone).toBeGreaterThanOrEqual(3);
      // Produced but not yet acknowledged by S3: the part in flight, the part filling, one chunk.
      expect(Math.max(...held)).toBeLessThan(2 * PART + 256 * 1024);
      expect(Math.max(...held)).toBeLessThan(produced / 2);

      const summary = await readVectorDelta((await store.getStream('deltas/words/run-big.bin')).body, {
        expected: header,
      });
      expect(summary).toMatchObject({ count: 12_000, bytes: produced });
    },
  );

  it('a delta smaller than one part is a single PutObject', async () => {
    const store = await freshStore();
    const creates = countCommand(client, 'CreateMultipartUploadCommand');
    const puts = countCommand(client, 'PutObjectCommand');
    try {
      await store.putStream(
        'deltas/lines/small.bin',
        encodeVectorDeltaStream({ ...header, collection: 'lines' }, 512, makeDeltaRecords(300, 512)),
      );
    } finally {
      creates.remove();
      puts.remove();
    }
    expect(creates.calls).toBe(0);
    expect(puts.calls).toBe(1);
  });

  it('a part that fails aborts the upload: nothing stored, the error named', { timeout: 180_000 }, async () => {
    const store = await freshStore();
    const fail = failCommand(client, 'UploadPartCommand', () => serviceError('AccessDenied', 403));
    const aborts = countCommand(client, 'AbortMultipartUploadCommand');
    try {
      const put = store.putStream(
        'deltas/words/failed.bin',
        encodeVectorDeltaStream(header, 512, makeDeltaRecords(5000, 512)),
      );
      await expect(put).rejects.toBeInstanceOf(DependencyError);
      await expect(put).rejects.toThrow(/s3:\/\/.*deltas\/words\/failed\.bin.*AccessDenied/);
    } finally {
      fail.remove();
      aborts.remove();
    }
    expect(aborts.calls).toBe(1);
    expect(await store.head('deltas/words/failed.bin')).toBeNull();
  });
});
