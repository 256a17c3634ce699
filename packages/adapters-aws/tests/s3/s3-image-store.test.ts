import { createHmac } from 'node:crypto';
import {
  DependencyError,
  TransientDependencyError,
  ValidationError,
  encodeVectorDeltaStream,
  readVectorDelta,
} from '@receiptflow/core';
import { makeDeltaRecords } from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import { S3ImageStore } from '../../src/s3/index.js';
import { createBucket, createTestS3Client, startFauxqs, uniqueResourceName } from '@receiptflow/devkit/emulators';
import { fauxqsS3 } from '@receiptflow/devkit/emulators/suite';
import { countCommand, failCommand, interceptCommand, serviceError } from '@receiptflow/devkit/faults';

/** The credentials createTestS3Client signs with. */
const TEST_ACCESS_KEY = 'x';
const TEST_SECRET_KEY = 'y';

const s3 = fauxqsS3();

async function freshStore(config: { presignExpiresMax?: number } = {}): Promise<S3ImageStore> {
  const bucket = await createBucket(s3().client, 'bucket');
  return new S3ImageStore(s3().client, { bucket, ...config });
}

const bytes = (text: string) => new TextEncoder().encode(text);

// docs/lessons.md#lesson-19-non-string-s3-metadata
describe('S3ImageStore metadata', () => {
  it('round-trips non-ASCII values through header-safe encoding', async () => {
    const store = await freshStore();
    const metadata = {
      merchant: 'Café Zoë ☕',
      filename: 'reçu 2024.jpg',
      tricky: '=?UTF-8?B?aGk=?=', // looks like an encoded word; must come back verbatim
      plain: 'ascii only',
    };
    await store.put('m/utf8.bin', bytes('x'), { metadata });
    expect((await store.get('m/utf8.bin')).metadata).toEqual(metadata);
    expect((await store.head('m/utf8.bin'))?.metadata).toEqual(metadata);
  });

  it('stringifies arrays, drops null and undefined, and lowercases keys as S3 does', async () => {
    const store = await freshStore();
    await store.put('m/types.bin', bytes('x'), {
      metadata: { Receipt_Count: 3, gone: null, list: [1, 'a'], missing: undefined },
    });
    expect((await store.get('m/types.bin')).metadata).toEqual({
      receipt_count: '3',
      list: '[1,"a"]',
    });
  });
});

describe('S3ImageStore ranges and presigning', () => {
  it('a range that runs past the end is shortened (as S3 and the local stores do); one starting past it is refused', async () => {
    const store = await freshStore();
    await store.put('r/abc.txt', bytes('abc'));
    expect(new TextDecoder().decode(await store.getRange('r/abc.txt', 1, 5))).toBe('bc');
    await expect(store.getRange('r/abc.txt', 3, 3)).rejects.toBeInstanceOf(ValidationError);
  });

  // fauxqs has no S3 POST-object uploads (POST /bucket is DeleteObjects there), so the policy
  // S3 would enforce is checked here instead: conditions, expiry, and the SigV4 signature.
  it('presigns a POST whose signed policy pins bucket, key, content type, size range and expiry', async () => {
    const store = await freshStore({ presignExpiresMax: 600 });
    const before = Date.now();
    const upload = await store.presignUpload('raw/i/a.png', {
      contentType: 'image/png',
      maxBytes: 5000,
      expiresInSeconds: 600,
    });
    expect(upload).toMatchObject({ method: 'POST', headers: {}, max_bytes: 5000 });
    expect(upload.url).toBe(`${s3().endpoint}/${store.bucket}`);
    const { fields } = upload;
    expect(fields).toMatchObject({
      key: 'raw/i/a.png',
      'Content-Type': 'image/png',
      bucket: store.bucket,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    });
    const policy = JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    const expiration = Date.parse(policy.expiration);
    expect(expiration).toBeGreaterThanOrEqual(before + 599_000);
    expect(expiration).toBeLessThanOrEqual(Date.now() + 601_000);
    expect(Math.abs(Date.parse(upload.expires_at) - expiration)).toBeLessThan(2_000);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, 5000],
        ['eq', '$Content-Type', 'image/png'],
        { bucket: store.bucket },
        { key: 'raw/i/a.png' },
        { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' },
        { 'X-Amz-Credential': fields['X-Amz-Credential'] },
      ]),
    );
    // The signature S3 checks: HMAC of the base64 policy with the SigV4 signing key.
    const [accessKey, date, region, service] = fields['X-Amz-Credential']!.split('/');
    expect(accessKey).toBe(TEST_ACCESS_KEY);
    const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
    const signingKey = hmac(hmac(hmac(hmac(`AWS4${TEST_SECRET_KEY}`, date!), region!), service!), 'aws4_request');
    expect(fields['X-Amz-Signature']).toBe(createHmac('sha256', signingKey).update(fields.Policy!).digest('hex'));
  });

  it('refuses lifetimes beyond the configured maximum and size limits that are not positive integers', async () => {
    const store = await freshStore({ presignExpiresMax: 600 });
    for (const options of [
      { contentType: 'image/png', maxBytes: 10, expiresInSeconds: 601 },
      { contentType: 'image/png', maxBytes: 10, expiresInSeconds: 0 },
      { contentType: 'image/png', maxBytes: 0, expiresInSeconds: 60 },
    ]) {
      await expect(store.presignUpload('raw/i/a.png', options), JSON.stringify(options)).rejects.toBeInstanceOf(
        ValidationError,
      );
    }
  });
});

describe('S3ImageStore error mapping', () => {
  it('SlowDown (503) becomes TransientDependencyError naming s3 and the object', async () => {
    const store = await freshStore();
    const fault = failCommand(s3().client, 'PutObjectCommand', () => serviceError('SlowDown', 503));
    const error = await store.put('t/x.bin', bytes('x')).catch((e: unknown) => e);
    fault.remove();
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toContain(`s3: PutObject s3://${store.bucket}/t/x.bin`);
  });

  it('a missing bucket is a DependencyError, not NotFound of the object', async () => {
    const store = new S3ImageStore(s3().client, { bucket: uniqueResourceName('absent') });
    await expect(store.put('a/b.bin', bytes('x'))).rejects.toBeInstanceOf(DependencyError);
  });

  it('server down: TransientDependencyError with the connection refusal', async () => {
    const dead = await startFauxqs();
    await dead.stop();
    const deadClient = createTestS3Client(dead.endpoint);
    const store = new S3ImageStore(deadClient, { bucket: 'raw' });
    const error = await store.head('a/b.bin').catch((e: unknown) => e);
    deadClient.destroy();
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toMatch(/^s3: HeadObject s3:\/\/raw\/a\/b\.bin: .*ECONNREFUSED/);
  });
});

// issue 20, item 7: a big receipt's words delta is sent as a multipart upload while it is being
// encoded, and never exists whole in the process (the old code built one 32.8 MB PutObject).
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
      const parts = interceptCommand(s3().client, 'UploadPartCommand', async (input, send) => {
        const out = await send(input);
        acknowledged += (input['Body'] as Uint8Array).length;
        if (!encoderDone) partsBeforeEncoderDone += 1;
        return out;
      });
      const puts = countCommand(s3().client, 'PutObjectCommand');
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
    const creates = countCommand(s3().client, 'CreateMultipartUploadCommand');
    const puts = countCommand(s3().client, 'PutObjectCommand');
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
    const fail = failCommand(s3().client, 'UploadPartCommand', () => serviceError('AccessDenied', 403));
    const aborts = countCommand(s3().client, 'AbortMultipartUploadCommand');
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
