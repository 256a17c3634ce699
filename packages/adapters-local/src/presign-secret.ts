import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PresignSecretError } from './errors.js';

const SECRET_BYTES = 32;

/**
 * The key that signs local presigned upload URLs, kept in the data folder so that a URL issued
 * before a restart still verifies after it. Created once (exclusive create, mode 0600) with 32
 * random bytes; a looser mode is tightened to 0600. A file that is not 64 hex characters is
 * refused, naming it: signing with a damaged key would make every issued URL fail later.
 *
 * @example
 * const secret = await loadOrCreatePresignSecret('.data/presign.key');
 */
export async function loadOrCreatePresignSecret(path: string): Promise<Buffer> {
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, randomBytes(SECRET_BYTES).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const mode = (await stat(path)).mode & 0o777;
  if (mode !== 0o600) await chmod(path, 0o600);
  const text = (await readFile(path, 'utf8')).trim();
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new PresignSecretError(
      `presign secret ${path} is damaged (expected 64 hex characters, found ${text.length} characters); delete it to issue new URLs (URLs issued with it stop working)`,
    );
  }
  return Buffer.from(text, 'hex');
}
