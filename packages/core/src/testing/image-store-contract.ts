import { describe, expect, it } from 'vitest';
import { CorruptDeltaError, DependencyError, NotFoundError, ValidationError } from '../errors.js';
import { encodeVectorDeltaBytes, encodeVectorDeltaStream, readVectorDelta } from '../domain/vector-delta-stream.js';
import type { VectorRecord } from '../domain/vector.js';
import { makeDeltaRecords } from './fixtures.js';
import {
  type NamedImageStore,
  type PresignedDownload,
  type PresignedUpload,
  presignedUploadRequest,
} from '../ports/index.js';
import { type ContractSubject, withFreshSubject } from './contract-helpers.js';

/** Sends bytes the way a presigned upload says; throws when the store refuses them. */
export type SendPresignedUpload = (upload: PresignedUpload, bytes: Uint8Array) => Promise<void>;

/**
 * What an ImageStore contract factory returns: a fresh, EMPTY bucket.
 * `sendUpload` performs a presigned upload; when omitted the suite sends it over HTTP with
 * {@link sendPresignedUpload} (right for S3 emulators, which listen on 127.0.0.1). `null` means
 * the emulator cannot take this kind of upload (fauxqs has no S3 POST uploads): the suite then
 * checks the upload's description only, and the adapter must test its policy itself.
 * `subject` is the ImageStore port plus the bucket name every adapter carries.
 */
export interface ImageStoreContractSubject extends ContractSubject<NamedImageStore> {
  sendUpload?: SendPresignedUpload | null;
  /** Fetches a presigned download; default {@link fetchPresignedDownload} over HTTP. */
  fetchDownload?: FetchPresignedDownload;
}

/** GETs a presigned download URL: the object's bytes, or null when the store answers "not found". */
export type FetchPresignedDownload = (download: PresignedDownload) => Promise<Uint8Array | null>;

/**
 * Fetches a presigned download over HTTP as a browser following the API's redirect would.
 *
 * @example
 * const bytes = await fetchPresignedDownload(await store.presignDownload(key, { expiresInSeconds: 60 }));
 */
export async function fetchPresignedDownload(download: PresignedDownload): Promise<Uint8Array | null> {
  const response = await fetch(download.url);
  if (response.status === 404) return null;
  if (!response.ok) {
    throw new DependencyError('presigned download', `GET failed: ${response.status} ${await response.text()}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Sends a presigned upload over HTTP as a client would: PUT with its headers, or an S3-style
 * multipart form POST (the fields, then the file last).
 *
 * @example
 * const upload = await store.presignUpload(key, { contentType: 'image/png', maxBytes: 1e6, expiresInSeconds: 60 });
 * await sendPresignedUpload(upload, png);
 */
export async function sendPresignedUpload(upload: PresignedUpload, bytes: Uint8Array): Promise<void> {
  const { url, init } = presignedUploadRequest(upload, bytes);
  const response = await fetch(url, init);
  if (!response.ok) {
    throw new DependencyError(
      'presigned upload',
      `${upload.method} failed: ${response.status} ${await response.text()}`,
    );
  }
}

const bytesOf = (text: string) => new TextEncoder().encode(text);

/**
 * The ImageStore contract: S3-like object semantics (round-trips, ranges, metadata stored as
 * strings, sorted listings, idempotent deletes), key validation, and presigned PUTs.
 */
export function describeImageStoreContract(name: string, factory: () => Promise<ImageStoreContractSubject>): void {
  describe(`ImageStore contract: ${name}`, () => {
    let store: NamedImageStore;
    let sendUpload: SendPresignedUpload | null;
    let fetchDownload: FetchPresignedDownload;

    withFreshSubject(factory, (created) => {
      store = created.subject;
      sendUpload = created.sendUpload === undefined ? sendPresignedUpload : created.sendUpload;
      fetchDownload = created.fetchDownload ?? fetchPresignedDownload;
    });

    it('presignDownload gives a URL that reads the object, more than once, until its expiry', async () => {
      const body = new Uint8Array([0xff, 0xd8, 0xff, 7, 8, 9]);
      await store.put('raw/img-d/photo.jpg', body, { contentType: 'image/jpeg' });
      const download = await store.presignDownload('raw/img-d/photo.jpg', { expiresInSeconds: 300 });
      const longer = await store.presignDownload('raw/img-d/photo.jpg', { expiresInSeconds: 900 });
      expect(Array.from((await fetchDownload(download)) ?? [])).toEqual(Array.from(body));
      expect(Array.from((await fetchDownload(download)) ?? [])).toEqual(Array.from(body));
      const gap = Date.parse(longer.expires_at) - Date.parse(download.expires_at);
      expect(gap).toBeGreaterThanOrEqual(599_000);
      expect(gap).toBeLessThanOrEqual(601_000);
    });

    it('presignDownload signs without reading: the URL of an absent object answers not found', async () => {
      const download = await store.presignDownload('raw/img-d/absent.jpg', { expiresInSeconds: 60 });
      expect(await fetchDownload(download)).toBeNull();
    });

    it('presignDownload refuses an unsafe key or a lifetime that is not a positive integer', async () => {
      await expect(store.presignDownload('../x', { expiresInSeconds: 60 })).rejects.toBeInstanceOf(ValidationError);
      for (const expiresInSeconds of [0, 1.5, -1]) {
        await expect(store.presignDownload('raw/img-d/x.jpg', { expiresInSeconds })).rejects.toBeInstanceOf(
          ValidationError,
        );
      }
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

    // docs/lessons.md#lesson-19-non-string-s3-metadata
    it('stores metadata of any type as strings', async () => {
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

    // docs/lessons.md#lesson-22-same-filename-overwritten-upload
    it('keeps two uploads of the same filename under different keys', async () => {
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
          store.presignUpload(key, { contentType: 'image/jpeg', maxBytes: 1024, expiresInSeconds: 60 }),
        ).rejects.toBeInstanceOf(ValidationError);
      },
    );

    it('presignUpload describes an upload bound to its size limit and expiry', async () => {
      const upload = await store.presignUpload('raw/img-p/upload.png', {
        contentType: 'image/png',
        maxBytes: 4096,
        expiresInSeconds: 300,
      });
      const longer = await store.presignUpload('raw/img-p/upload.png', {
        contentType: 'image/png',
        maxBytes: 4096,
        expiresInSeconds: 600,
      });
      expect(['PUT', 'POST']).toContain(upload.method);
      expect(upload.url.length).toBeGreaterThan(0);
      expect(upload.max_bytes).toBe(4096);
      // The expiry follows the lifetime asked for (compared between two uploads: no wall clock here).
      const gap = Date.parse(longer.expires_at) - Date.parse(upload.expires_at);
      expect(gap).toBeGreaterThanOrEqual(299_000);
      expect(gap).toBeLessThanOrEqual(301_000);
      expect(await store.head('raw/img-p/upload.png')).toBeNull();
    });

    it('presignUpload refuses a size limit or lifetime that is not a positive integer', async () => {
      for (const options of [
        { contentType: 'image/png', maxBytes: 0, expiresInSeconds: 60 },
        { contentType: 'image/png', maxBytes: 1.5, expiresInSeconds: 60 },
        { contentType: 'image/png', maxBytes: 10, expiresInSeconds: 0 },
        { contentType: '', maxBytes: 10, expiresInSeconds: 60 },
      ]) {
        await expect(store.presignUpload('raw/img-p/x.png', options), JSON.stringify(options)).rejects.toBeInstanceOf(
          ValidationError,
        );
      }
    });

    it('a presigned upload stores the object with its content type', async (ctx) => {
      if (!sendUpload) return ctx.skip();
      const upload = await store.presignUpload('raw/img-p/upload.png', {
        contentType: 'image/png',
        maxBytes: 4096,
        expiresInSeconds: 300,
      });
      const body = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
      await sendUpload(upload, body);
      const stored = await store.get('raw/img-p/upload.png');
      expect(Array.from(stored.body)).toEqual(Array.from(body));
      expect(stored.contentType).toBe('image/png');
    });

    it('a presigned upload over its size limit is refused and stores nothing', async (ctx) => {
      if (!sendUpload) return ctx.skip();
      const upload = await store.presignUpload('raw/img-p/big.png', {
        contentType: 'image/png',
        maxBytes: 16,
        expiresInSeconds: 300,
      });
      await expect(sendUpload(upload, new Uint8Array(17))).rejects.toThrow();
      expect(await store.head('raw/img-p/big.png')).toBeNull();
    });

    describe('streams (big objects: vector deltas)', () => {
      // Above S3's 5 MiB part size, so an S3 store sends it as a multipart upload.
      const BIG = 6 * 1024 * 1024 + 12_345;
      const bigBody = () => new Uint8Array(BIG).map((_, i) => (i * 131 + (i >>> 12)) % 256);
      function* chunksOf(bytes: Uint8Array, size: number): Generator<Uint8Array> {
        for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
      }
      const collect = async (body: AsyncIterable<Uint8Array>) => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of body) chunks.push(chunk);
        return chunks;
      };
      const concatAll = (chunks: Uint8Array[]) => {
        const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          out.set(c, at);
          at += c.length;
        }
        return out;
      };
      const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

      it(
        'putStream then getStream round-trips a big object, read in several chunks',
        { timeout: 120_000 },
        async () => {
          const body = bigBody();
          await store.putStream('deltas/words/big.bin', chunksOf(body, 100_000), {
            contentType: 'application/octet-stream',
            metadata: { count: 3000 },
          });
          const streamed = await store.getStream('deltas/words/big.bin');
          expect(streamed.size).toBe(BIG);
          expect(streamed.contentType).toBe('application/octet-stream');
          expect(streamed.metadata).toEqual({ count: '3000' });
          const chunks = await collect(streamed.body);
          expect(chunks.length).toBeGreaterThan(1);
          expect(sameBytes(concatAll(chunks), body)).toBe(true);
          // The same object through the buffered API: the two agree.
          expect(sameBytes((await store.get('deltas/words/big.bin')).body, body)).toBe(true);
        },
      );

      it('putStream of a small or empty body, from an async source', async () => {
        async function* two() {
          yield bytesOf('{"a":');
          yield bytesOf('1}');
        }
        await store.putStream('deltas/lines/small.bin', two());
        expect(
          new TextDecoder().decode(concatAll(await collect((await store.getStream('deltas/lines/small.bin')).body))),
        ).toBe('{"a":1}');
        await store.putStream('deltas/lines/empty.bin', []);
        const empty = await store.getStream('deltas/lines/empty.bin');
        expect(empty.size).toBe(0);
        expect(concatAll(await collect(empty.body)).length).toBe(0);
      });

      it('getStream of an absent key throws NotFoundError before any chunk', async () => {
        await expect(store.getStream('deltas/words/absent.bin')).rejects.toBeInstanceOf(NotFoundError);
      });

      it('a body that fails partway stores nothing and the caller gets its error', { timeout: 120_000 }, async () => {
        const failure = new ValidationError('encoder refused a record');
        function* failing(): Generator<Uint8Array> {
          yield* chunksOf(bigBody(), 1024 * 1024);
          throw failure;
        }
        await expect(store.putStream('deltas/words/failed.bin', failing())).rejects.toBe(failure);
        expect(await store.head('deltas/words/failed.bin')).toBeNull();
        // A failed replace leaves the previous object as it was.
        await store.put('deltas/words/kept.bin', bytesOf('old'));
        await expect(store.putStream('deltas/words/kept.bin', failing())).rejects.toBe(failure);
        expect(new TextDecoder().decode((await store.get('deltas/words/kept.bin')).body)).toBe('old');
      });

      it(
        'a 3,000-word delta streams both ways, and the reader stays close behind the bytes it has pulled',
        { timeout: 120_000 },
        async () => {
          const header = { run_id: 'run-big', image_id: 'img-delta', receipt_id: 1, collection: 'words' as const };
          const records = makeDeltaRecords(3000, 512);
          await store.putStream('deltas/words/run-big.bin', encodeVectorDeltaStream(header, 512, records));
          const streamed = await store.getStream('deltas/words/run-big.bin');
          let pulled = 0;
          let chunks = 0;
          async function* counted() {
            for await (const chunk of streamed.body) {
              pulled += chunk.length;
              chunks += 1;
              yield chunk;
            }
          }
          // Every record is the same size, so record n ends at about n/3000 of the delta; a reader
          // that buffered the delta would have pulled all of it before handing out the first one.
          const ahead: number[] = [];
          let n = 0;
          const summary = await readVectorDelta(counted(), {
            expected: header,
            onRecord: (record) => {
              n += 1;
              ahead.push(pulled - (streamed.size * n) / records.length);
              if (n === 1 || n === 1500 || n === 3000) expect(record).toEqual(records[n - 1]);
            },
          });
          expect(summary).toMatchObject({
            ...header,
            format_version: 2,
            count: 3000,
            dimensions: 512,
            bytes: streamed.size,
          });
          expect(streamed.size).toBeGreaterThan(6 * 1024 * 1024);
          expect(chunks).toBeGreaterThan(1);
          expect(Math.max(...ahead)).toBeLessThan(2 * 1024 * 1024);
        },
      );

      it(
        'a delta damaged in the middle, or cut short, is a CorruptDeltaError when read as a stream',
        { timeout: 120_000 },
        async () => {
          const header = { run_id: 'run-bad', image_id: 'img-delta', receipt_id: 1, collection: 'words' as const };
          const records = makeDeltaRecords(1000, 512);
          const bytes = encodeVectorDeltaBytes(header, 512, records);
          const damaged = bytes.slice();
          damaged[Math.floor(bytes.length / 2)]! ^= 0x40;
          await store.putStream('deltas/words/damaged.bin', chunksOf(damaged, 100_000));
          await store.putStream('deltas/words/short.bin', chunksOf(bytes.slice(0, bytes.length - 5000), 100_000));
          for (const key of ['deltas/words/damaged.bin', 'deltas/words/short.bin']) {
            const seen: VectorRecord[] = [];
            const read = readVectorDelta((await store.getStream(key)).body, {
              expected: header,
              onRecord: (r) => seen.push(r),
            });
            await expect(read, key).rejects.toBeInstanceOf(CorruptDeltaError);
            // Decoding went past the damage before the error: detected mid-stream, not silently dropped.
            expect(seen.length, key).toBeGreaterThan(0);
          }
        },
      );
    });
  });
}
