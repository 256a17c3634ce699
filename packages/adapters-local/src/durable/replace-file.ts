import { mkdir, open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDir } from './sync-dir.js';
import { writeFully } from './whole-file.js';

/**
 * Replaces the file at `path` with `bytes` atomically: a temporary file `.tmp-<name>` beside it,
 * fsynced, renamed over it, and the directory fsynced. A crash leaves the old file or the new
 * one, never a mix (at worst the temporary file, which fsck reports).
 */
export async function replaceFileDurably(path: string, bytes: Uint8Array, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.tmp-${basename(path)}`);
  const handle = await open(temp, 'w', mode);
  try {
    await writeFully(handle, bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDir(dirname(path));
}
