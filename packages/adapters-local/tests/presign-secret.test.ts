import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectPresignSecret, loadOrCreatePresignSecret } from '../src/presign-secret.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'presign-secret-'));
  dirs.push(dir);
  return dir;
}

describe('loadOrCreatePresignSecret', () => {
  it('processes starting at once keep one key, mode 0600, and leave no temporary file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'presign.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreatePresignSecret(path)));
    expect(keys[0]).toHaveLength(32);
    for (const key of keys) expect(key.equals(keys[0]!)).toBe(true);
    expect(await readdir(dir)).toEqual(['presign.key']);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await loadOrCreatePresignSecret(path)).equals(keys[0]!)).toBe(true);
  });

  it('a damaged key is refused, naming the file and the repair; inspect says why', async () => {
    const dir = await tempDir();
    const path = join(dir, 'presign.key');
    expect(await inspectPresignSecret(path)).toBeNull(); // absent: serve creates it
    await writeFile(path, 'abc\n');
    expect(await inspectPresignSecret(path)).toBe('expected 64 hex characters, found 3 characters');
    await expect(loadOrCreatePresignSecret(path)).rejects.toMatchObject({
      code: 'PRESIGN_SECRET_INVALID',
      message: expect.stringMatching(/presign\.key is damaged .*receipts fsck --repair/),
    });
  });
});
