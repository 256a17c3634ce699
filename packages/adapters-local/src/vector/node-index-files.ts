import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexFiles } from './index-files.js';

/**
 * {@link IndexFiles} over a directory (a local disk or an EFS mount). `readFrom` reads from the
 * offset to the end with positioned reads, so a warm follower's cost is the new bytes only.
 *
 * @example
 * const follower = new HnswFollowerVectorIndex({ files: new NodeIndexFiles('/mnt/vectors') });
 */
export class NodeIndexFiles implements IndexFiles {
  constructor(readonly root: string) {}

  async read(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.root, path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async readFrom(path: string, offset: number): Promise<Buffer | undefined> {
    let handle;
    try {
      handle = await open(join(this.root, path), 'r');
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
        const { bytesRead } = await handle.read(buffer, read, length - read, offset + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return buffer.subarray(0, read);
    } finally {
      await handle.close();
    }
  }
}
