import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeImageStoreContract } from '@receiptflow/core/testing';
import { FsImageStore } from '../src/fs-image-store.js';

describeImageStoreContract('FsImageStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fs-image-store-'));
  // The contract is about semantics; fsync only slows its thousand-object listing case down.
  const subject = new FsImageStore({ bucket: 'raw-bucket', dir: join(dir, 'raw-bucket'), fsync: false });
  return {
    subject,
    putViaUrl: (url, bytes, type) => subject.acceptPresignedPut(url, bytes, type),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('FsImageStore on disk', () => {
  it('a second store on the same directory sees the objects and honours default-form URLs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-image-store-'));
    try {
      const first = new FsImageStore({ bucket: 'raw', dir });
      await first.put('raw/img/a.jpg', new Uint8Array([1, 2, 3]), { contentType: 'image/jpeg', metadata: { n: 1 } });
      const url = await first.presignPut('raw/img/b.png', { contentType: 'image/png', expiresInSeconds: 60 });

      const second = new FsImageStore({ bucket: 'raw', dir });
      expect(await second.head('raw/img/a.jpg')).toEqual({
        key: 'raw/img/a.jpg',
        size: 3,
        contentType: 'image/jpeg',
        metadata: { n: '1' },
      });
      await second.acceptPresignedPut(url, new Uint8Array([7]), 'image/png');
      expect(await second.list('raw/')).toEqual(['raw/img/a.jpg', 'raw/img/b.png']);
      // Keys "a" and "a/b" coexist, as in S3.
      await second.put('x', new Uint8Array([1]));
      await second.put('x/y', new Uint8Array([2]));
      expect(await second.list('x')).toEqual(['x', 'x/y']);
      // No temp files are left behind.
      expect((await readdir(dir)).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists nothing when the directory does not exist yet', async () => {
    const store = new FsImageStore({ bucket: 'b', dir: join(tmpdir(), `absent-${Date.now()}`) });
    expect(await store.list('')).toEqual([]);
    expect(await store.head('k')).toBeNull();
  });
});
