import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDir } from './durable/sync-dir.js';
import { PresignSecretError } from './errors.js';

const SECRET_BYTES = 32;
const SECRET_TEXT = /^[0-9a-f]{64}$/;

/**
 * The key that signs local presigned upload URLs, kept in the data folder so that a URL issued
 * before a restart still verifies after it. Created once with 32 random bytes, mode 0600; a
 * looser mode is tightened to 0600. A file that is not 64 hex characters is refused, naming it:
 * signing with a damaged key would make every issued URL fail later.
 *
 * @example
 * const secret = await loadOrCreatePresignSecret('.data/presign.key');
 */
export async function loadOrCreatePresignSecret(path: string): Promise<Buffer> {
  await mkdir(dirname(path), { recursive: true });
  if (!(await exists(path))) await createSecretFile(path);
  const mode = (await stat(path)).mode & 0o777;
  if (mode !== 0o600) await chmod(path, 0o600);
  const damage = await inspectPresignSecret(path);
  if (damage !== null) {
    throw new PresignSecretError(
      `presign secret ${path} is damaged (${damage}); run \`receipts fsck --repair\` (or delete it) to issue new URLs (URLs issued with it stop working)`,
    );
  }
  return Buffer.from((await readFile(path, 'utf8')).trim(), 'hex');
}

/**
 * Why the secret file at `path` cannot be used, or null when it is sound or absent (serve creates
 * it). `receipts fsck` reports from it.
 */
export async function inspectPresignSecret(path: string): Promise<string | null> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return SECRET_TEXT.test(text) ? null : `expected 64 hex characters, found ${text.length} characters`;
}

/**
 * Writes a new secret to a temporary file, fsyncs it, then links it into place, which fails if a
 * secret exists already (two processes starting at once keep one key). A crash at any step leaves
 * either no secret or a whole one, never the empty file an exclusive create cut short would leave.
 */
async function createSecretFile(path: string): Promise<void> {
  const temp = join(dirname(path), `.tmp-${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(randomBytes(SECRET_BYTES).toString('hex') + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    await syncDir(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temp);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
