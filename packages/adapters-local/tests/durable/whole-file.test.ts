import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readFully, readWholeIfAny, writeFully, type ChunkedHandle } from '../../src/durable/whole-file.js';
import { DataStoreWriteError } from '../../src/errors.js';

// A vector index snapshot passes 2 GiB near 800k vectors (issue 18, P7), where one Node write or
// readFile refuses. The helpers move a bounded chunk per call; a fake handle that enforces the
// bound (and moves less than asked, as a short write does) checks that at a size a test can hold.

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A file in memory whose write/read refuse more than `limit` bytes a call and move at most `moves`. */
function boundedFile(limit: number, moves: number, initial = new Uint8Array(0)) {
  const calls: number[] = [];
  let content = Buffer.from(initial);
  let size = initial.length;
  const handle = {
    write: async (bytes: Uint8Array, offset: number, length: number) => {
      if (length > limit) throw new RangeError(`length ${length} > ${limit}`);
      calls.push(length);
      const n = Math.min(moves, length);
      content = Buffer.concat([content, Buffer.from(bytes.subarray(offset, offset + n))]);
      return { bytesWritten: n, buffer: bytes };
    },
    read: async (buffer: Buffer, offset: number, length: number, position: number) => {
      if (length > limit) throw new RangeError(`length ${length} > ${limit}`);
      calls.push(length);
      const n = Math.max(0, Math.min(moves, length, content.length - position));
      content.copy(buffer, offset, position, position + n);
      return { bytesRead: n, buffer };
    },
    stat: async () => ({ size }),
  } as unknown as ChunkedHandle;
  return {
    handle,
    calls,
    content: () => content,
    claimSize: (n: number) => {
      size = n;
    },
  };
}

const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 37) % 251);

describe('writeFully', () => {
  it('writes every byte in order in calls of at most the chunk, following short writes', async () => {
    const file = boundedFile(8, 5);
    await writeFully(file.handle, bytes, 8);
    expect([...file.content()]).toEqual([...bytes]);
    expect(Math.max(...file.calls)).toBeLessThanOrEqual(8);
  });
});

describe('readFully', () => {
  it('reads a whole file in calls of at most the chunk, following short reads', async () => {
    const file = boundedFile(8, 3, bytes);
    const read = await readFully(file.handle, 'mem', 8);
    expect([...read]).toEqual([...bytes]);
    expect(Math.max(...file.calls)).toBeLessThanOrEqual(8);
  });

  it('refuses a file that shrank while being read, naming it, rather than returning it torn', async () => {
    const file = boundedFile(8, 8, bytes);
    file.claimSize(140);
    const error = await readFully(file.handle, '/data/lines.snapshot', 8).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataStoreWriteError);
    expect((error as Error).message).toMatch(/lines\.snapshot.*changed size while being read \(100 of 140 bytes\)/);
  });

  it('round-trips a real file through tiny chunks, and a missing file is undefined', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rf-whole-'));
    dirs.push(dir);
    const path = join(dir, 'f.bin');
    const handle = await open(path, 'w');
    await writeFully(handle, bytes, 7);
    await handle.close();
    expect([...(await readWholeIfAny(path, 7))!]).toEqual([...bytes]);
    await writeFile(join(dir, 'empty'), '');
    expect((await readWholeIfAny(join(dir, 'empty')))!.length).toBe(0);
    expect(await readWholeIfAny(join(dir, 'missing'))).toBeUndefined();
  });
});
