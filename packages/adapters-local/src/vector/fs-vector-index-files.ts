import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConditionFailedError, type SnapshotFile, type VectorIndexFiles, type VersionedFile } from '@receiptflow/core';
import { syncDir } from '../durable/sync-dir.js';
import { IO_CHUNK_BYTES, readWholeIfAny, writeFully } from '../durable/whole-file.js';

const SNAPSHOTS = 'snapshots';
const LOG_NAME = /^(lines|words)\.\d+\.log$/;

/**
 * {@link VectorIndexFiles} over a directory: a local disk (`receipts serve`) or an EFS mount (efs
 * mode). A log is one file appended with positioned writes (fsync'd unless `fsync: false`), so a
 * warm follower reads only the bytes past its offset; the manifest is replaced by temp file, fsync
 * and rename; a snapshot is written into `snapshots/<name>.tmp/` and renamed into place, so it is
 * complete or absent. The manifest's version is its content's SHA-256: a swap compares it first.
 * NFS has no compare-and-swap, so on EFS the compare and the rename are two steps (the fencing
 * token in the manifest narrows that window; docs/vector-storage.md).
 *
 * @example
 * const files = new FsVectorIndexFiles('/mnt/vectors/index/lines');
 * const follower = new HnswFollowerVectorIndex({ files, dimensions: 512 });
 */
export class FsVectorIndexFiles implements VectorIndexFiles {
  private readonly handles = new Map<string, FileHandle>();
  private readonly fsync: boolean;

  constructor(
    readonly location: string,
    options: { fsync?: boolean } = {},
  ) {
    this.fsync = options.fsync ?? true;
  }

  read(path: string): Promise<Uint8Array | undefined> {
    return readIfAny(join(this.location, path));
  }

  async readVersioned(path: string): Promise<VersionedFile | undefined> {
    const bytes = await this.read(path);
    return bytes ? { bytes, version: versionOf(bytes) } : undefined;
  }

  async replace(path: string, bytes: Uint8Array, expected: string | null): Promise<string> {
    const target = join(this.location, path);
    const current = await readIfAny(target);
    const found = current ? versionOf(current) : null;
    if (found !== expected)
      throw new ConditionFailedError(
        `${target}: expected ${expected === null ? 'no file' : `version ${expected}`}, found ${found === null ? 'none' : `version ${found}`}`,
      );
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.tmp`;
    await this.writeWhole(temp, bytes);
    await rename(temp, target);
    if (this.fsync) await syncDir(dirname(target));
    return versionOf(bytes);
  }

  async createLog(log: string): Promise<void> {
    await mkdir(this.location, { recursive: true });
    await this.dropHandle(log);
    const handle = await open(join(this.location, log), 'w');
    if (this.fsync) await handle.sync();
    await handle.close();
  }

  async readLog(log: string, offset: number): Promise<Uint8Array | undefined> {
    let handle;
    try {
      handle = await open(join(this.location, log), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const length = Math.max(0, size - offset);
      const buffer = Buffer.alloc(length);
      let read = 0;
      while (read < length) {
        const { bytesRead } = await handle.read(buffer, read, Math.min(IO_CHUNK_BYTES, length - read), offset + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return buffer.subarray(0, read);
    } finally {
      await handle.close();
    }
  }

  async appendLog(log: string, offset: number, bytes: Uint8Array, _writer: number): Promise<void> {
    const handle = await this.handleOf(log);
    try {
      await handle.write(bytes, 0, bytes.length, offset);
      if (this.fsync) await handle.datasync();
    } catch (error) {
      // A failed append must not leave half a frame for the next one to follow.
      await handle.truncate(offset).catch(() => undefined);
      throw error;
    }
  }

  async cutLog(log: string, length: number): Promise<number> {
    const handle = await this.handleOf(log);
    const { size } = await handle.stat();
    if (size <= length) return 0;
    await handle.truncate(length);
    if (this.fsync) await handle.datasync();
    return size - length;
  }

  async listLogs(): Promise<{ name: string; size: number }[]> {
    const out: { name: string; size: number }[] = [];
    for (const name of await readdirIfAny(this.location)) {
      if (!LOG_NAME.test(name)) continue;
      const size = await stat(join(this.location, name)).then(
        (s) => s.size,
        () => undefined,
      );
      if (size !== undefined) out.push({ name, size });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async removeLog(log: string): Promise<void> {
    await this.dropHandle(log);
    await unlink(join(this.location, log)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  async writeSnapshot(name: string, files: readonly SnapshotFile[]): Promise<void> {
    const root = join(this.location, SNAPSHOTS);
    const temp = join(root, `${name}.tmp`);
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    for (const file of files) await this.writeWhole(join(temp, file.name), file.bytes);
    if (this.fsync) await syncDir(temp);
    await rename(temp, join(root, name));
    if (this.fsync) await syncDir(root);
  }

  async listSnapshots(): Promise<{ name: string; complete: boolean }[]> {
    const names = await readdirIfAny(join(this.location, SNAPSHOTS));
    return names
      .sort()
      .map((name) =>
        name.endsWith('.tmp') ? { name: name.slice(0, -'.tmp'.length), complete: false } : { name, complete: true },
      );
  }

  async removeSnapshot(name: string): Promise<void> {
    const root = join(this.location, SNAPSHOTS);
    await rm(join(root, name), { recursive: true, force: true });
    await rm(join(root, `${name}.tmp`), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    for (const log of [...this.handles.keys()]) await this.dropHandle(log);
  }

  private async handleOf(log: string): Promise<FileHandle> {
    let handle = this.handles.get(log);
    if (!handle) {
      handle = await open(join(this.location, log), 'r+');
      this.handles.set(log, handle);
    }
    return handle;
  }

  private async dropHandle(log: string): Promise<void> {
    const handle = this.handles.get(log);
    this.handles.delete(log);
    await handle?.close();
  }

  /** Writes a whole file and fsyncs it before returning. */
  private async writeWhole(path: string, bytes: Uint8Array): Promise<void> {
    const handle = await open(path, 'w');
    try {
      await writeFully(handle, bytes);
      if (this.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

function versionOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A snapshot passes 2 GiB near 800k vectors, where `readFile` gives up; this reads up to 4 GiB. */
function readIfAny(path: string): Promise<Buffer | undefined> {
  return readWholeIfAny(path);
}

async function readdirIfAny(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
