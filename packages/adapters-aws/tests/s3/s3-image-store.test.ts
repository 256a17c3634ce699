import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { DependencyError, TransientDependencyError, ValidationError } from '@receiptflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ImageStore } from '../../src/s3/index.js';
import {
  createTestS3Client,
  failCommand,
  serviceError,
  startFauxqs,
  uniqueResourceName,
  type RunningEmulator,
} from '../../src/testing/index.js';

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

async function freshStore(config: { presignExpiresMax?: number } = {}): Promise<S3ImageStore> {
  const bucket = uniqueResourceName('bucket');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return new S3ImageStore(client, { bucket, ...config });
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('S3ImageStore metadata (lesson 19)', () => {
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

  it('signs the content type into the URL and refuses lifetimes beyond the configured maximum', async () => {
    const store = await freshStore({ presignExpiresMax: 600 });
    const url = new URL(await store.presignPut('raw/i/a.png', { contentType: 'image/png', expiresInSeconds: 600 }));
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('content-type');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    await expect(
      store.presignPut('raw/i/a.png', { contentType: 'image/png', expiresInSeconds: 601 }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      store.presignPut('raw/i/a.png', { contentType: 'image/png', expiresInSeconds: 0 }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('S3ImageStore error mapping', () => {
  it('SlowDown (503) becomes TransientDependencyError naming s3 and the object', async () => {
    const store = await freshStore();
    const fault = failCommand(client, 'PutObjectCommand', () => serviceError('SlowDown', 503));
    const error = await store.put('t/x.bin', bytes('x')).catch((e: unknown) => e);
    fault.remove();
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toContain(`s3: PutObject s3://${store.bucket}/t/x.bin`);
  });

  it('a missing bucket is a DependencyError, not NotFound of the object', async () => {
    const store = new S3ImageStore(client, { bucket: uniqueResourceName('absent') });
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
