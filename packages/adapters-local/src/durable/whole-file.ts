import { constants } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { DataStoreWriteError } from '../errors.js';

/**
 * One read or write call moves at most this much. Node refuses a single `read`/`write` of more than
 * 2 GiB − 1 (ERR_OUT_OF_RANGE) and `readFile` refuses files over 2 GiB (ERR_FS_FILE_TOO_LARGE); a
 * vector index snapshot passes that at about 800k vectors of 512 dimensions (issue 18, P7).
 */
export const IO_CHUNK_BYTES = 1 << 30;

/** The part of a FileHandle these helpers use (a fake in tests can move fewer bytes per call). */
export type ChunkedHandle = Pick<FileHandle, 'read' | 'write' | 'stat'>;

/**
 * Writes all of `bytes` from the handle's current position, `chunk` bytes per call at most, and
 * follows short writes.
 *
 * @example
 * const handle = await open(path, 'w');
 * await writeFully(handle, snapshotBytes); // 2.7 GB at 1M vectors: three calls
 */
export async function writeFully(handle: ChunkedHandle, bytes: Uint8Array, chunk = IO_CHUNK_BYTES): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, at, Math.min(chunk, bytes.length - at));
    at += bytesWritten;
  }
}

/**
 * Reads a whole file of any size Node can hold in one Buffer (`buffer.constants.MAX_LENGTH`, 4 GiB
 * on 64-bit Node 20), `chunk` bytes per call at most; `readFile` stops at 2 GiB. A file that grows
 * or shrinks while it is read is refused rather than returned torn.
 *
 * @example
 * const bytes = await readFully(await open(path, 'r'), path);
 */
export async function readFully(handle: ChunkedHandle, path: string, chunk = IO_CHUNK_BYTES): Promise<Buffer> {
  const { size } = await handle.stat();
  if (size > constants.MAX_LENGTH)
    throw new DataStoreWriteError(path, `is ${size} bytes, more than one buffer can hold (${constants.MAX_LENGTH})`);
  const buffer = Buffer.allocUnsafe(size);
  let read = 0;
  while (read < size) {
    const { bytesRead } = await handle.read(buffer, read, Math.min(chunk, size - read), read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  if (read !== size) throw new DataStoreWriteError(path, `changed size while being read (${read} of ${size} bytes)`);
  return buffer;
}

/** {@link readFully} of the file at `path`; undefined when there is none. */
export async function readWholeIfAny(path: string, chunk = IO_CHUNK_BYTES): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return await readFully(handle, path, chunk);
  } finally {
    await handle.close();
  }
}
