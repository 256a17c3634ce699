import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ImageStore } from '../ports/index.js';

/**
 * What an ImageStore contract factory returns: a fresh, EMPTY bucket.
 * `putViaUrl` performs the one PUT a presigned URL allows; when omitted the suite does a real
 * HTTP PUT with `fetch` (right for S3 emulators, which listen on 127.0.0.1).
 */
export interface ImageStoreContractSubject {
  subject: ImageStore;
  cleanup?: () => Promise<void>;
  putViaUrl?: (url: string, bytes: Uint8Array, contentType: string) => Promise<void>;
}

async function fetchPut(url: string, bytes: Uint8Array, contentType: string): Promise<void> {
  const response = await fetch(url, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': contentType },
  });
  if (!response.ok) {
    throw new Error(`PUT to presigned URL failed: ${response.status} ${await response.text()}`);
  }
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

/**
 * The ImageStore contract: S3-like object semantics (round-trips, ranges, metadata stored as
 * strings, sorted listings, idempotent deletes), key validation, and presigned PUTs.
 */
export function describeImageStoreContract(
  name: string,
  factory: () => Promise<ImageStoreContractSubject>,
): void {
  describe(`ImageStore contract: ${name}`, () => {
    let store: ImageStore;
    let cleanup: (() => Promise<void>) | undefined;
    let putViaUrl: (url: string, bytes: Uint8Array, contentType: string) => Promise<void>;

    beforeEach(async () => {
      const created = await factory();
      store = created.subject;
      cleanup = created.cleanup;
      putViaUrl = created.putViaUrl ?? fetchPut;
    });
    afterEach(async () => {
      await cleanup?.();
    });

    it('has a bucket name', () => {
      expect(typeof store.bucket).toBe('string');
      expect(store.bucket.length).toBeGreaterThan(0);
    });

    it('round-trips bytes and content type', async () => {
      const body = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
      await store.put('raw/img-1/receipt.jpg', body, { contentType: 'image/jpeg' });
      const stored = await store.get('raw/img-1/receipt.jpg');
      expect(stored.body).toBeInstanceOf(Uint8Array);
      expect(Array.from(stored.body)).toEqual(Array.from(body));
      expect(stored.size).toBe(body.length);
      expect(stored.contentType).toBe('image/jpeg');
      expect(stored.metadata).toEqual({});
    });

    it('round-trips an empty object', async () => {
      await store.put('empty/object.bin', new Uint8Array(0), { contentType: 'application/octet-stream' });
      const stored = await store.get('empty/object.bin');
      expect(stored.size).toBe(0);
      expect(stored.body.length).toBe(0);
    });

    it('a second put replaces the object', async () => {
      await store.put('ocr/a/b.json', bytesOf('{"v":1}'), { contentType: 'application/json' });
      await store.put('ocr/a/b.json', bytesOf('{"v":22}'), { contentType: 'application/json' });
      const stored = await store.get('ocr/a/b.json');
      expect(new TextDecoder().decode(stored.body)).toBe('{"v":22}');
      expect(stored.size).toBe(8);
    });

    it('stores metadata of any type as strings (lesson 19)', async () => {
      await store.put('meta/x.bin', bytesOf('x'), {
        contentType: 'application/octet-stream',
        metadata: { text: 'plain', count: 42, ratio: 0.5, flag: true, off: false, nested: { a: 1, b: ['x'] } },
      });
      const expected = {
        text: 'plain',
        count: '42',
        ratio: '0.5',
        flag: 'true',
        off: 'false',
        nested: '{"a":1,"b":["x"]}',
      };
      expect((await store.get('meta/x.bin')).metadata).toEqual(expected);
      expect((await store.head('meta/x.bin'))?.metadata).toEqual(expected);
    });

    it('head describes an object, and is null when absent', async () => {
      await store.put('h/one.png', bytesOf('12345'), { contentType: 'image/png' });
      expect(await store.head('h/one.png')).toEqual({
        key: 'h/one.png',
        size: 5,
        contentType: 'image/png',
        metadata: {},
      });
      expect(await store.head('h/absent.png')).toBeNull();
    });

    it('get of an absent key throws NotFoundError', async () => {
      await expect(store.get('nothing/here.jpg')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('getRange returns inclusive byte ranges', async () => {
      await store.put('r/digits.txt', bytesOf('0123456789'), { contentType: 'text/plain' });
      expect(new TextDecoder().decode(await store.getRange('r/digits.txt', 0, 0))).toBe('0');
      expect(new TextDecoder().decode(await store.getRange('r/digits.txt', 3, 6))).toBe('3456');
      expect(new TextDecoder().decode(await store.getRange('r/digits.txt', 9, 9))).toBe('9');
      expect(new TextDecoder().decode(await store.getRange('r/digits.txt', 0, 9))).toBe('0123456789');
    });

    it('getRange: absent → NotFoundError; start past the end or start > end → ValidationError', async () => {
      await expect(store.getRange('r/absent.txt', 0, 0)).rejects.toBeInstanceOf(NotFoundError);
      await store.put('r/short.txt', bytesOf('abc'), { contentType: 'text/plain' });
      await expect(store.getRange('r/short.txt', 3, 5)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.getRange('r/short.txt', 2, 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(store.getRange('r/short.txt', -1, 1)).rejects.toBeInstanceOf(ValidationError);
    });

    it('delete removes an object and is idempotent', async () => {
      await store.put('d/x.bin', bytesOf('x'));
      await store.delete('d/x.bin');
      expect(await store.head('d/x.bin')).toBeNull();
      await expect(store.delete('d/x.bin')).resolves.toBeUndefined();
      await expect(store.delete('d/never.bin')).resolves.toBeUndefined();
    });

    it('list returns the keys under a prefix, sorted', async () => {
      for (const key of ['b/2', 'b/10', 'a/1', 'b/1', 'bb/1', 'b/sub/z']) {
        await store.put(key, bytesOf(key));
      }
      expect(await store.list('b/')).toEqual(['b/1', 'b/10', 'b/2', 'b/sub/z']);
      expect(await store.list('b')).toEqual(['b/1', 'b/10', 'b/2', 'b/sub/z', 'bb/1']);
      expect(await store.list('c/')).toEqual([]);
      expect(await store.list('')).toEqual(['a/1', 'b/1', 'b/10', 'b/2', 'b/sub/z', 'bb/1']);
    });

    it('lists more than 1000 keys completely (S3 pages at 1000)', async () => {
      const keys = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key) => store.put(key, new Uint8Array([1]))));
      }
      expect(await store.list('many/')).toEqual(keys);
    });

    it('keeps two uploads of the same filename under different keys (lesson 22)', async () => {
      await store.put('raw/img-a/receipt.jpg', bytesOf('first'), { contentType: 'image/jpeg' });
      await store.put('raw/img-b/receipt.jpg', bytesOf('second'), { contentType: 'image/jpeg' });
      expect(new TextDecoder().decode((await store.get('raw/img-a/receipt.jpg')).body)).toBe('first');
      expect(new TextDecoder().decode((await store.get('raw/img-b/receipt.jpg')).body)).toBe('second');
    });

    it.each(['../x', '/abs', 'a//b', '', 'a/../b', 'a/./b', 'a/'])(
      'rejects the unsafe key %j with ValidationError',
      async (key) => {
        await expect(store.put(key, bytesOf('x'))).rejects.toBeInstanceOf(ValidationError);
        await expect(store.get(key)).rejects.toBeInstanceOf(ValidationError);
        await expect(store.head(key)).rejects.toBeInstanceOf(ValidationError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(ValidationError);
        await expect(
          store.presignPut(key, { contentType: 'image/jpeg', expiresInSeconds: 60 }),
        ).rejects.toBeInstanceOf(ValidationError);
      },
    );

    it('presignPut returns a URL that accepts a PUT of the object', async () => {
      const url = await store.presignPut('raw/img-p/upload.png', {
        contentType: 'image/png',
        expiresInSeconds: 300,
      });
      expect(typeof url).toBe('string');
      expect(url.length).toBeGreaterThan(0);
      expect(await store.head('raw/img-p/upload.png')).toBeNull();
      const body = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
      await putViaUrl(url, body, 'image/png');
      const stored = await store.get('raw/img-p/upload.png');
      expect(Array.from(stored.body)).toEqual(Array.from(body));
      expect(stored.contentType).toBe('image/png');
    });
  });
}
