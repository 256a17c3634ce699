import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeImageStoreContract } from '@receiptflow/core/testing';
import { readPresignedDownload } from './support/presigned-download.js';
import { FsImageStore } from '../src/fs-image-store.js';
import { LocalPresignedUploads } from '../src/local-presigned-url.js';
import { loadOrCreatePresignSecret } from '../src/presign-secret.js';
import { UploadNonceLedger } from '../src/upload-nonce-ledger.js';

describeImageStoreContract('FsImageStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fs-image-store-'));
  // The contract is about semantics; fsync only slows its thousand-object listing case down.
  const subject = new FsImageStore({ bucket: 'raw-bucket', dir: join(dir, 'raw-bucket'), fsync: false });
  return {
    subject,
    sendUpload: (upload, bytes) => subject.acceptPresignedPut(upload.url, bytes, upload.headers['content-type'] ?? ''),
    fetchDownload: (download) => readPresignedDownload(subject, download.url),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('FsImageStore on disk', () => {
  it('a second store on the same directory (a restart) sees the objects and honours URLs the first signed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fs-image-store-'));
    // What a data folder keeps across a restart: the signing secret and the used-URL ledger.
    const uploadsIn = async () =>
      new LocalPresignedUploads({
        secret: await loadOrCreatePresignSecret(join(dir, 'presign.key')),
        ledger: await UploadNonceLedger.open(join(dir, 'uploads-used.log')),
      });
    try {
      const firstUploads = await uploadsIn();
      const first = new FsImageStore({ bucket: 'raw', dir: join(dir, 'raw'), uploads: firstUploads });
      await first.put('raw/img/a.jpg', new Uint8Array([1, 2, 3]), { contentType: 'image/jpeg', metadata: { n: 1 } });
      const { url } = await first.presignUpload('raw/img/b.png', {
        contentType: 'image/png',
        maxBytes: 10,
        expiresInSeconds: 60,
      });
      const used = await first.presignUpload('raw/img/c.png', {
        contentType: 'image/png',
        maxBytes: 10,
        expiresInSeconds: 60,
      });
      await first.acceptPresignedPut(used.url, new Uint8Array([5]), 'image/png');
      await firstUploads.close();

      const secondUploads = await uploadsIn();
      const second = new FsImageStore({ bucket: 'raw', dir: join(dir, 'raw'), uploads: secondUploads });
      expect(await second.head('raw/img/a.jpg')).toEqual({
        key: 'raw/img/a.jpg',
        size: 3,
        contentType: 'image/jpeg',
        metadata: { n: '1' },
      });
      await second.acceptPresignedPut(url, new Uint8Array([7]), 'image/png');
      // Used before the restart: still used after it.
      await expect(second.acceptPresignedPut(used.url, new Uint8Array([6]), 'image/png')).rejects.toMatchObject({
        code: 'PRESIGNED_URL_USED',
      });
      expect(await second.list('raw/')).toEqual(['raw/img/a.jpg', 'raw/img/b.png', 'raw/img/c.png']);
      expect(Array.from((await second.get('raw/img/c.png')).body)).toEqual([5]);
      // Keys "a" and "a/b" coexist, as in S3.
      await second.put('x', new Uint8Array([1]));
      await second.put('x/y', new Uint8Array([2]));
      expect(await second.list('x')).toEqual(['x', 'x/y']);
      // No temp files are left behind.
      expect((await readdir(join(dir, 'raw'))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
      await secondUploads.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the presign secret is created once, readable by its owner only, and a damaged one is refused by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'presign-secret-'));
    try {
      const path = join(dir, 'presign.key');
      const secret = await loadOrCreatePresignSecret(path);
      expect(secret).toHaveLength(32);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await loadOrCreatePresignSecret(path)).equals(secret)).toBe(true);
      await chmod(path, 0o644);
      await loadOrCreatePresignSecret(path);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      await writeFile(path, 'not hex');
      await expect(loadOrCreatePresignSecret(path)).rejects.toMatchObject({
        code: 'PRESIGN_SECRET_INVALID',
        message: expect.stringContaining(path),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the used-URL ledger drops a torn last line and refuses a damaged one, naming file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'upload-ledger-'));
    try {
      const path = join(dir, 'uploads-used.log');
      const nonce = 'a'.repeat(32);
      const later = Date.now() + 60_000;
      await writeFile(path, `${nonce} ${later}\n${'b'.repeat(32)} 12`);
      const ledger = await UploadNonceLedger.open(path);
      expect(ledger.isUsed(nonce)).toBe(true);
      expect(ledger.isUsed('b'.repeat(32))).toBe(false);
      await ledger.close();
      expect(await readFile(path, 'utf8')).toBe(`${nonce} ${later}\n`);

      await writeFile(path, `${nonce} ${later}\ngarbage\n${nonce} ${later}\n`);
      await expect(UploadNonceLedger.open(path)).rejects.toMatchObject({
        code: 'CORRUPT_DATA_FILE',
        file: path,
        offset: Buffer.byteLength(`${nonce} ${later}\n`), // where the damaged line starts
        message: expect.stringContaining('line 2 is not'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the used-URL ledger drops expired lines from the file once they are most of it, keeping the live ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'upload-ledger-'));
    try {
      const path = join(dir, 'uploads-used.log');
      const now = Date.now();
      const nonce = (i: number) => i.toString(16).padStart(32, '0');
      const expired = Array.from({ length: 1_000 }, (_, i) => `${nonce(i)} ${now - 1}\n`).join('');
      const live = `${'f'.repeat(32)} ${now + 60_000}\n`;
      await writeFile(path, expired + live);
      const ledger = await UploadNonceLedger.open(path, now);
      expect(ledger.isUsed('f'.repeat(32))).toBe(true);
      expect(ledger.isUsed(nonce(0))).toBe(false);
      await ledger.consume('e'.repeat(32), now + 60_000, async () => {});
      await ledger.close();
      expect(await readFile(path, 'utf8')).toBe(`${live}${'e'.repeat(32)} ${now + 60_000}\n`);
      expect(await readdir(dir)).toEqual(['uploads-used.log']);

      // Fewer expired lines than that: the file is left as it is.
      await writeFile(path, expired.slice(0, 999 * 47) + live);
      await (await UploadNonceLedger.open(path, now)).close();
      expect((await readFile(path, 'utf8')).length).toBe(999 * 47 + live.length);
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
