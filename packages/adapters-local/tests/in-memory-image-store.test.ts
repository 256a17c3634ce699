import { describe, expect, it } from 'vitest';
import { describeImageStoreContract } from '@receiptflow/core/testing';
import { FakeClock } from '../src/fake-clock.js';
import { InMemoryImageStore } from '../src/in-memory-image-store.js';

describeImageStoreContract('InMemoryImageStore', async () => {
  const subject = new InMemoryImageStore({ bucket: 'raw-bucket' });
  return { subject, putViaUrl: (url, bytes, type) => subject.acceptPresignedPut(url, bytes, type) };
});

describe('InMemoryImageStore presigned PUTs', () => {
  it('uses the documented default URL form', async () => {
    const store = new InMemoryImageStore({ bucket: 'raw' });
    const url = await store.presignPut('raw/img-1/my receipt.jpg', { contentType: 'image/jpeg', expiresInSeconds: 60 });
    expect(url).toBe('local://raw/raw/img-1/my%20receipt.jpg?content-type=image%2Fjpeg&expires-in=60');
  });

  it('honours a custom presign function, and refuses a wrong content type, an expired or a foreign URL', async () => {
    const clock = new FakeClock();
    const store = new InMemoryImageStore({
      bucket: 'raw',
      clock,
      presign: (bucket, key) => `http://127.0.0.1:9999/upload/${bucket}/${key}`,
    });
    const url = await store.presignPut('raw/a/r.png', { contentType: 'image/png', expiresInSeconds: 60 });
    expect(url).toBe('http://127.0.0.1:9999/upload/raw/raw/a/r.png');
    const bytes = new Uint8Array([1, 2]);
    await expect(store.acceptPresignedPut(url, bytes, 'image/jpeg')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(store.acceptPresignedPut('http://elsewhere/x', bytes, 'image/png')).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await clock.advance(61_000);
    await expect(store.acceptPresignedPut(url, bytes, 'image/png')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await store.head('raw/a/r.png')).toBeNull();
  });

  it('stores a copy: mutating the buffer after put or after get changes nothing', async () => {
    const store = new InMemoryImageStore({ bucket: 'b' });
    const body = new Uint8Array([1, 2, 3]);
    await store.put('k', body);
    body[0] = 9;
    const read = await store.get('k');
    read.body[1] = 9;
    expect(Array.from((await store.get('k')).body)).toEqual([1, 2, 3]);
  });
});
