import { describe, expect, it } from 'vitest';
import { describeImageStoreContract } from '@receiptflow/core/testing';
import { readPresignedDownload } from './support/presigned-download.js';
import { FakeClock } from '../src/fake-clock.js';
import { InMemoryImageStore } from '../src/in-memory-image-store.js';
import { LocalPresignedUploads } from '../src/local-presigned-url.js';

describeImageStoreContract('InMemoryImageStore', async () => {
  const subject = new InMemoryImageStore({ bucket: 'raw-bucket' });
  return {
    subject,
    sendUpload: (upload, bytes) => subject.acceptPresignedPut(upload.url, bytes, upload.headers['content-type'] ?? ''),
    fetchDownload: (download) => readPresignedDownload(subject, download.url),
  };
});

describe('InMemoryImageStore presigned uploads (HMAC-signed, valid once)', () => {
  const options = { contentType: 'image/png', maxBytes: 100, expiresInSeconds: 60 };
  const bytes = new Uint8Array([1, 2, 3]);

  it('describes a PUT to a signed URL bound to bucket, key, type, size and expiry', async () => {
    const store = new InMemoryImageStore({
      bucket: 'raw',
      uploads: new LocalPresignedUploads({ baseUrl: 'http://127.0.0.1:9999/uploads' }),
    });
    const upload = await store.presignUpload('raw/img-1/my receipt.png', options);
    expect(upload).toMatchObject({
      method: 'PUT',
      fields: {},
      headers: { 'content-type': 'image/png' },
      max_bytes: 100,
    });
    const url = new URL(upload.url);
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:9999/uploads/raw/raw/img-1/my%20receipt.png');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      'content-type': 'image/png',
      'max-bytes': '100',
      expires: expect.stringMatching(/^\d+$/),
      nonce: expect.stringMatching(/^[0-9a-f]{32}$/),
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("refuses an altered URL, another store's URL, a wrong type, too many bytes, and an expired URL", async () => {
    const clock = new FakeClock();
    const store = new InMemoryImageStore({ bucket: 'raw', clock });
    const other = new InMemoryImageStore({ bucket: 'raw', clock }); // its own secret
    const url = (await store.presignUpload('raw/a/r.png', options)).url;
    const refusals: [Promise<unknown>, string][] = [
      [
        store.acceptPresignedPut(url.replace('max-bytes=100', 'max-bytes=100000'), bytes, 'image/png'),
        'PRESIGNED_URL_INVALID',
      ],
      [
        store.acceptPresignedPut(url.replace('/raw/a/r.png', '/raw/a/s.png'), bytes, 'image/png'),
        'PRESIGNED_URL_INVALID',
      ],
      [
        store.acceptPresignedPut((await other.presignUpload('raw/a/r.png', options)).url, bytes, 'image/png'),
        'PRESIGNED_URL_INVALID',
      ],
      [store.acceptPresignedPut('http://elsewhere/x', bytes, 'image/png'), 'PRESIGNED_URL_INVALID'],
      [store.acceptPresignedPut(url, bytes, 'image/jpeg'), 'PRESIGNED_URL_INVALID'],
      [store.acceptPresignedPut(url, new Uint8Array(101), 'image/png'), 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [attempt, code] of refusals) await expect(attempt).rejects.toMatchObject({ code });
    expect(() => store.admitPresignedUpload(url, 'image/png', 5000)).toThrow(/exceeds the 100 bytes/);
    await clock.advance(61_000);
    await expect(store.acceptPresignedPut(url, bytes, 'image/png')).rejects.toThrow(/expired at/);
    expect(await store.head('raw/a/r.png')).toBeNull();
    expect(await store.head('raw/a/s.png')).toBeNull();
  });

  it("refuses a download URL altered, of another store or bucket, an upload's URL, and one expired", async () => {
    const clock = new FakeClock();
    const store = new InMemoryImageStore({ bucket: 'raw', clock });
    const other = new InMemoryImageStore({ bucket: 'raw', clock }); // its own secret
    await store.put('raw/a/r.png', bytes, { contentType: 'image/png' });
    await store.put('raw/a/s.png', bytes, { contentType: 'image/png' });
    const { url } = await store.presignDownload('raw/a/r.png', { expiresInSeconds: 60 });
    const later = String(clock.now() + 3_600_000);
    for (const altered of [
      url.replace('/raw/a/r.png', '/raw/a/s.png'),
      url.replace(/expires=\d+/, `expires=${later}`),
      (await other.presignDownload('raw/a/r.png', { expiresInSeconds: 60 })).url,
      (await store.presignUpload('raw/a/r.png', options)).url,
      'http://elsewhere/x',
    ]) {
      await expect(store.openPresignedDownload(altered), altered).rejects.toMatchObject({
        code: 'PRESIGNED_URL_INVALID',
      });
    }
    expect(Array.from((await readPresignedDownload(store, url)) ?? [])).toEqual([1, 2, 3]);
    await clock.advance(61_000);
    await expect(store.openPresignedDownload(url)).rejects.toThrow(/expired at/);
  });

  it('a URL is valid once: a replay is refused (409 code) and leaves the first bytes in place', async () => {
    const store = new InMemoryImageStore({ bucket: 'raw' });
    const url = (await store.presignUpload('raw/a/r.png', options)).url;
    await store.acceptPresignedPut(url, bytes, 'image/png');
    await expect(store.acceptPresignedPut(url, new Uint8Array([9, 9]), 'image/png')).rejects.toMatchObject({
      code: 'PRESIGNED_URL_USED',
    });
    expect(() => store.admitPresignedUpload(url, 'image/png', 2)).toThrow(/already used/);
    expect(Array.from((await store.get('raw/a/r.png')).body)).toEqual([1, 2, 3]);
  });

  it('two PUTs racing on one URL: exactly one lands', async () => {
    const store = new InMemoryImageStore({ bucket: 'raw' });
    const url = (await store.presignUpload('raw/a/r.png', options)).url;
    const results = await Promise.allSettled([
      store.acceptPresignedPut(url, new Uint8Array([1]), 'image/png'),
      store.acceptPresignedPut(url, new Uint8Array([2]), 'image/png'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'PRESIGNED_URL_USED' } });
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
