import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger, VectorRecord } from '@receiptflow/core';
import { makeImage, makeJob, makeReceiptDetails } from '@receiptflow/core/testing';
import { CorruptDataFileError } from '../src/errors.js';
import { FsImageStore } from '../src/fs-image-store.js';
import { FsJobTable, type FsJobTableConfig } from '../src/job-table/fs-job-table.js';
import { jobTableStores } from '../src/job-table/job-table-stores.js';
import { flipByte, truncateToFraction } from '@receiptflow/devkit/faults';
import { HnswVectorIndex } from '../src/vector/hnsw-vector-index.js';
import { inspectVectorIndex } from '../src/vector/inspect-vector-index.js';

// Every kind of file the local adapters persist, damaged the three ways that happen (a flipped
// byte mid-file, a cut mid-record, a half-written file): each is refused with an error naming
// the file and offset, except a torn tail, which is dropped and reported.

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rf-durable-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function recordingLogger(): Logger & { lines: { level: string; message: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      void lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function refusal(promise: Promise<unknown>): Promise<CorruptDataFileError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CorruptDataFileError);
  return error as CorruptDataFileError;
}

/** The job stores over a journaled table, closed through the table. */
async function openStores(dir: string, config?: FsJobTableConfig) {
  const table = await FsJobTable.open(dir, config);
  return { table, ...jobTableStores(table), close: () => table.close() };
}

describe('job journal (FsJobTable)', () => {
  async function journalWithJobs(
    n: number,
  ): Promise<{ dir: string; path: string; jobs: ReturnType<typeof makeJob>[] }> {
    const dir = await tempDir();
    const store = await openStores(dir, { fsync: false });
    const jobs = Array.from({ length: n }, () => makeJob());
    for (const job of jobs) await store.jobs.createJob(job);
    await store.close();
    return { dir, path: join(dir, 'job-table.jsonl'), jobs };
  }

  it('a flipped byte mid-file refuses to open, naming file and offset, and changes nothing on disk', async () => {
    const { dir, path } = await journalWithJobs(10);
    const before = await readFile(path);
    const at = await flipByte(path, Math.floor(before.length / 2));
    const error = await refusal(openStores(dir));
    expect(error.file).toBe(path);
    // The offset is the start of the damaged record: the line holding the flipped byte.
    const lineStart = before.lastIndexOf(0x0a, at - 1) + 1;
    expect(error.offset).toBe(lineStart);
    expect(error.message).toContain(`${path} is corrupt at byte ${lineStart}`);
    expect((await stat(path)).size).toBe(before.length);
  });

  it('a flipped newline (two records run together) is damage, not a torn tail', async () => {
    const { dir, path } = await journalWithJobs(3);
    const bytes = await readFile(path);
    await flipByte(path, bytes.indexOf(0x0a));
    const error = await refusal(openStores(dir));
    expect(error.offset).toBe(0);
  });

  it('a cut mid-record is a torn tail: dropped, logged with its size, and the rest reads', async () => {
    const { dir, path, jobs } = await journalWithJobs(10);
    const bytes = await readFile(path);
    const lastLine = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
    const cut = lastLine + 40;
    await writeFile(path, bytes.subarray(0, cut));
    const logger = recordingLogger();
    const store = await openStores(dir, { logger });
    for (const job of jobs.slice(0, 9)) expect(await store.jobs.getJob(job.job_id)).toEqual(job);
    expect(await store.jobs.getJob(jobs[9]!.job_id)).toBeNull();
    expect(logger.lines).toEqual([
      expect.objectContaining({ level: 'warn', fields: { file: path, offset: lastLine, bytes: 40, records: 1 } }),
    ]);
    await store.close();
    expect((await stat(path)).size).toBe(lastLine);
  });

  it('an append that fails leaves the store refusing writes instead of diverging from disk', async () => {
    const { dir } = await journalWithJobs(1);
    const store = await openStores(dir);
    // Closing the handle under the store makes the next append fail like a dead disk would.
    await (store.table as unknown as { handle: { close(): Promise<void> } }).handle.close();
    await expect(store.jobs.createJob(makeJob())).rejects.toMatchObject({ code: 'DATA_STORE_WRITE_FAILED' });
    await expect(store.jobs.createJob(makeJob())).rejects.toMatchObject({ code: 'DATA_STORE_WRITE_FAILED' });
  });

  it('reads journals written before checksums (version 1 lines), and appends checked lines after them', async () => {
    const dir = await tempDir();
    const old = makeJob();
    const v1 = JSON.stringify({
      v: 1,
      changes: [
        { event_name: 'INSERT', entity: 'OCR_JOB', old_image: null, new_image: old, sequence: '1'.padStart(21, '0') },
      ],
    });
    await writeFile(join(dir, 'job-table.jsonl'), `${v1}\n`);
    const logger = recordingLogger();
    const store = await openStores(dir, { logger });
    expect(await store.jobs.getJob(old.job_id)).toEqual(old);
    expect(logger.lines[0]).toMatchObject({ level: 'info', fields: { records: 1 } });
    const next = makeJob();
    await store.jobs.createJob(next);
    await store.close();
    const lines = (await readFile(join(dir, 'job-table.jsonl'), 'utf8')).trim().split('\n');
    expect(lines[1]).toMatch(/^\{"c":"[0-9a-f]{8}","p":\{"v":2,/);
    const reopened = await openStores(dir);
    expect(await reopened.jobs.getJob(next.job_id)).toEqual(next);
    await reopened.close();
  });

  it('concurrent operations share syncs (group commit) and all land in order', async () => {
    const dir = await tempDir();
    const store = await openStores(dir);
    const image = makeImage();
    const jobs = Array.from({ length: 50 }, () => makeJob({ image_id: image.image_id }));
    await Promise.all([store.jobs.createImage(image), ...jobs.map((j) => store.jobs.createJob(j))]);
    await store.receipts.create(makeReceiptDetails({ image_id: image.image_id, receipt_id: 1 }));
    await store.close();
    const reopened = await openStores(dir);
    expect(await reopened.jobs.listJobsForImage(image.image_id)).toHaveLength(50);
    expect(await reopened.receipts.get(image.image_id, 1)).not.toBeNull();
    await reopened.close();
  });
});

describe('vector index files (HnswVectorIndex)', () => {
  const DIMS = 16;
  function records(n: number, prefix: string): VectorRecord[] {
    return Array.from({ length: n }, (_, i) => ({
      id: `${prefix}-${i}`,
      vector: Array.from({ length: DIMS }, (_, d) => Math.sin(i * 7 + d + prefix.length)),
      document: `${prefix} ${i}`,
      metadata: { n: i },
    }));
  }
  async function indexDir(options: { checkpoint?: boolean } = {}): Promise<string> {
    const dir = await tempDir();
    const index = await HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false });
    for (let batch = 0; batch < 10; batch++) await index.upsert('lines', records(30, `b${batch}`));
    await index.upsert('words', records(5, 'w'));
    if (options.checkpoint) await index.checkpoint();
    await index.close();
    return dir;
  }
  const open = (dir: string, logger?: Logger) =>
    HnswVectorIndex.open(dir, { dimensions: DIMS, fsync: false, ...(logger ? { logger } : {}) });

  it('a flipped byte mid-log refuses to open, naming file and offset, and the log keeps its size', async () => {
    const dir = await indexDir();
    const log = join(dir, 'lines.0.log');
    const size = (await stat(log)).size;
    await flipByte(log, Math.floor(size / 2));
    const error = await refusal(open(dir));
    expect(error.file).toBe(log);
    expect(error.offset).toBeGreaterThan(0);
    expect(error.offset).toBeLessThanOrEqual(size / 2);
    expect(error.message).toMatch(/checksum mismatch/);
    expect((await stat(log)).size).toBe(size);
  });

  it('a flipped byte in a frame length mid-log is damage, not a torn tail', async () => {
    const dir = await indexDir();
    const log = join(dir, 'lines.0.log');
    await flipByte(log, 3); // the high byte of the first frame's length: it now runs past the end
    const error = await refusal(open(dir));
    expect(error).toMatchObject({ file: log, offset: 0 });
  });

  it('a cut mid-frame at the end is a torn tail: dropped and logged, earlier frames kept', async () => {
    const dir = await indexDir();
    const log = join(dir, 'lines.0.log');
    const size = (await stat(log)).size;
    await truncateToFraction(log, 0.95);
    const logger = recordingLogger();
    const index = await open(dir, logger);
    expect(await index.count('lines')).toBe(270);
    expect(logger.lines).toEqual([
      expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ file: log, records: 1 }) }),
    ]);
    const dropped = logger.lines[0]!.fields as { offset: number; bytes: number };
    expect(dropped.offset + dropped.bytes).toBe(Math.floor(size * 0.95));
    await index.close();
  });

  it('a half manifest refuses to open, naming manifest.json', async () => {
    const dir = await indexDir();
    const manifest = join(dir, 'manifest.json');
    const length = await truncateToFraction(manifest, 0.5);
    const error = await refusal(open(dir));
    expect(error).toMatchObject({ file: manifest, offset: length });
    expect(error.message).toContain('manifest.json is corrupt');
  });

  it('a flipped byte in the manifest refuses to open', async () => {
    const dir = await indexDir();
    await flipByte(join(dir, 'manifest.json'), 40);
    await refusal(open(dir));
  });

  it('a missing manifest beside non-empty logs is refused, not taken for a new index', async () => {
    const dir = await indexDir();
    await rm(join(dir, 'manifest.json'));
    const error = await refusal(open(dir));
    expect(error.message).toMatch(/missing, but the directory holds lines\.0\.log/);
  });

  it('a flipped byte or a cut in a snapshot refuses to open', async () => {
    const dir = await indexDir({ checkpoint: true });
    const [snapshotDir] = await readdir(join(dir, 'snapshots'));
    const snapshot = join(dir, 'snapshots', snapshotDir!, 'lines.snapshot');
    const bytes = await readFile(snapshot);
    await flipByte(snapshot, Math.floor(bytes.length / 2));
    expect(await refusal(open(dir))).toMatchObject({ file: snapshot, offset: 0 });
    await writeFile(snapshot, bytes.subarray(0, bytes.length - 100));
    expect(await refusal(open(dir))).toMatchObject({ file: snapshot });
    await writeFile(snapshot, bytes);
    const index = await open(dir);
    expect(await index.count('lines')).toBe(300);
    await index.close();
  });

  it('inspectVectorIndex lists damage in a kept (not live) snapshot and in the live log, changing nothing', async () => {
    const dir = await indexDir({ checkpoint: true });
    const index = await open(dir);
    await index.upsert('lines', records(3, 'later'));
    await index.checkpoint();
    await index.upsert('lines', records(3, 'tail'));
    await index.close();
    const snapshots = (await readdir(join(dir, 'snapshots'))).sort();
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    const older = join(dir, 'snapshots', snapshots[0]!, 'lines.snapshot');
    await flipByte(older, 100);
    const generation = Math.max(
      ...(await readdir(dir)).filter((f) => /^lines\.\d+\.log$/.test(f)).map((f) => Number(f.split('.')[1])),
    );
    const log = join(dir, `lines.${generation}.log`); // the live one
    const size = (await stat(log)).size;
    await flipByte(log, 20);
    expect(await inspectVectorIndex(dir, DIMS)).toEqual([
      expect.objectContaining({ file: log, kind: 'damaged', offset: 0 }),
      expect.objectContaining({ file: older, kind: 'damaged' }),
    ]);
    expect((await stat(log)).size).toBe(size);
  });

  it('counts the log operations a reopen replays, and a checkpoint resets them', async () => {
    const dir = await indexDir();
    const index = await open(dir);
    expect(index.opsSinceCheckpoint).toBe(11);
    await index.upsert('lines', records(1, 'x'));
    expect(index.opsSinceCheckpoint).toBe(12);
    await index.checkpoint();
    expect(index.opsSinceCheckpoint).toBe(0);
    await index.close();
  });
});

describe('object files (FsImageStore)', () => {
  async function storeWith(body: Uint8Array): Promise<{ store: FsImageStore; path: string }> {
    const dir = await tempDir();
    const store = new FsImageStore({ bucket: 'raw', dir });
    await store.put('raw/a/b.png', body, { contentType: 'image/png', metadata: { image_id: 'a' } });
    const name = (await readdir(dir)).find((n) => n.endsWith('.obj'))!;
    return { store, path: join(dir, name) };
  }

  it('a flipped byte in the body makes get refuse, naming file and body offset', async () => {
    const body = new Uint8Array(1000).map((_, i) => i % 251);
    const { store, path } = await storeWith(body);
    await flipByte(path, -500);
    const error = await refusal(store.get('raw/a/b.png'));
    expect(error.file).toBe(path);
    expect(error.message).toMatch(/body \(1000 bytes\) fails its checksum/);
    expect(error.offset).toBe((await stat(path)).size - 1000);
  });

  it('a flipped byte in the header or a cut body refuses head, get and list', async () => {
    const { store, path } = await storeWith(new Uint8Array(100).fill(7));
    const bytes = await readFile(path);
    await flipByte(path, 20);
    await refusal(store.head('raw/a/b.png'));
    await refusal(store.list('raw/'));
    await writeFile(path, bytes.subarray(0, bytes.length - 10));
    expect((await refusal(store.get('raw/a/b.png'))).message).toMatch(/body should be 100 bytes, the file holds 90/);
  });

  it('reads object files written before checksums', async () => {
    const { store, path } = await storeWith(new Uint8Array([1]));
    const header = Buffer.from(JSON.stringify({ key: 'raw/a/b.png', contentType: 'image/png', metadata: {}, size: 3 }));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(header.length);
    await writeFile(path, Buffer.concat([length, header, Buffer.from([9, 8, 7])]));
    expect(Array.from((await store.get('raw/a/b.png')).body)).toEqual([9, 8, 7]);
  });
});
