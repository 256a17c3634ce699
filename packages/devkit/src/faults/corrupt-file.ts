import { open, stat, truncate } from 'node:fs/promises';

/**
 * Test helpers that damage data files the way disks and people do, for the refusal and repair
 * tests (here, in handlers' fsck tests and in the fault-injection suite).
 */

/** Inverts every bit of the byte at `offset` (negative: from the end); returns the offset used. */
export async function flipByte(path: string, offset: number): Promise<number> {
  const { size } = await stat(path);
  const at = offset < 0 ? size + offset : offset;
  if (at < 0 || at >= size) throw new RangeError(`${path} has ${size} bytes, cannot flip byte ${offset}`);
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
  }
  return at;
}

/** Cuts `path` to `fraction` of its size (0.5 = a half-written file); returns the new size. */
export async function truncateToFraction(path: string, fraction: number): Promise<number> {
  const { size } = await stat(path);
  const length = Math.floor(size * fraction);
  await truncate(path, length);
  return length;
}
