import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getUploadStatus } from '@receiptflow/core';
import { CorruptDataFileError, HnswVectorIndex } from '@receiptflow/adapters-local';
import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { flipByte, truncateToFraction } from '@receiptflow/devkit/faults';
import { run } from '../src/cli/main.js';
import { fsckDataDir } from '../src/local/fsck.js';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { bodyOf, collectingLogger, jsonPostEvent, specLines, TaggedOcr } from './support/fixtures.js';

// The three corruption breakages found by attacking `receipts serve` (issue 12, item 2), each
// reproduced on a real data directory, then refused or repaired by `receipts fsck`. Fake OCR
// keeps this file fast; the pipeline is otherwise the one serve runs.

const RECEIPTS = demoReceipts();
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function openRuntime(dataDir: string, ocr = new TaggedOcr(), logger = collectingLogger()) {
  const runtime = await LocalRuntime.open({ logger, dataDir, ocr, catalog: syntheticCatalog() });
  return { runtime, logger, ocr };
}

/**
 * `n` receipts uploaded and compacted. `stop` shuts down cleanly (vector index checkpointed);
 * otherwise the stores are closed as a crash leaves them: everything in the logs.
 */
async function populate(n: number, end: 'stop' | 'crash'): Promise<{ dir: string; imageIds: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'rf-fsck-'));
  dirs.push(dir);
  const { runtime, ocr } = await openRuntime(dir);
  const imageIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const receipt = RECEIPTS[i % RECEIPTS.length]!;
    const bytes = ocr.register(`r${i}`, specLines(receipt.spec));
    imageIds.push((await runtime.submit(`r${i}.png`, 'image/png', bytes)).image_id);
    // One at a time, as uploads trickle into a running serve: the journal interleaves them.
    await runtime.drain();
  }
  if (end === 'stop') await runtime.stop();
  else await runtime.adapters.close();
  return { dir, imageIds };
}

/** Restarts on `dir`, drains, and checks every upload is compacted with one vector per line and word. */
async function expectAllCompacted(dir: string, imageIds: string[]): Promise<void> {
  const ocr = new TaggedOcr();
  for (let i = 0; i < imageIds.length; i++) ocr.register(`r${i}`, specLines(RECEIPTS[i % RECEIPTS.length]!.spec));
  const { runtime } = await openRuntime(dir, ocr);
  try {
    await runtime.drain();
    const stores = runtime.adapters;
    let lines = 0;
    let words = 0;
    for (const id of imageIds) {
      expect(await getUploadStatus(stores, id), id).toMatchObject({ stage: 'compacted' });
      for (const r of await stores.receipts.list(id)) {
        lines += r.lines.length;
        words += r.words.length;
      }
    }
    expect(await runtime.adapters.vectors.count('lines')).toBe(lines);
    expect(await runtime.adapters.vectors.count('words')).toBe(words);
  } finally {
    await runtime.stop();
  }
}

describe('receipts fsck: the corruption breakages of issue 12', () => {
  it(
    'a truncated job journal: the torn tail is logged, fsck finds the lost images, --repair brings every upload back',
    { timeout: 60_000 },
    async () => {
      const { dir, imageIds } = await populate(10, 'crash');
      const journal = join(dir, 'jobs', 'job-table.jsonl');
      const bytes = await readFile(journal);
      let cut = Math.floor(bytes.length * 0.4);
      while (bytes[cut - 1] === 0x0a) cut++; // mid-record, as a crash or a careless cp leaves it
      await writeFile(journal, bytes.subarray(0, cut));

      // Before: nothing was logged, and the uploads after the cut answered 404 for good.
      const { runtime, logger } = await openRuntime(dir);
      await runtime.adapters.close();
      const torn = logger.entries.find((e) => e.message.includes('torn tail'));
      expect(torn?.fields).toMatchObject({ file: journal, records: 1 });
      expect((torn!.fields.offset as number) + (torn!.fields.bytes as number)).toBe(cut);

      // The images stored after the cut lost their records: fsck finds each one.
      const check = await fsckDataDir(dir);
      const orphans = check.findings.filter((f) => f.kind === 'orphan-image' || f.kind === 'missing-job');
      expect(orphans.length).toBeGreaterThanOrEqual(3);

      const repair = await fsckDataDir(dir, { repair: true });
      expect(repair.rebuilt.filter((r) => r.includes('recreated'))).toHaveLength(orphans.length);
      await expectAllCompacted(dir, imageIds);
      expect((await fsckDataDir(dir)).findings).toEqual([]);
    },
  );

  it(
    'a flipped byte mid vector log refuses to start, naming the file and offset; --repair rebuilds the vectors',
    { timeout: 60_000 },
    async () => {
      const { dir, imageIds } = await populate(6, 'crash');
      const log = join(dir, 'vectors', 'lines.0.log');
      const size = (await stat(log)).size;
      await flipByte(log, Math.floor(size / 2));

      // Before: the log was cut at the flip (745 KB -> 319 KB, 296 vectors -> 126), silently.
      const error = await LocalRuntime.open({ logger: collectingLogger(), dataDir: dir, ocr: new TaggedOcr() }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CorruptDataFileError);
      expect(error).toMatchObject({ file: log });
      expect((error as CorruptDataFileError).offset).toBeLessThanOrEqual(size / 2);
      expect((await stat(log)).size).toBe(size);

      expect(await run(['fsck', '--data', dir])).toBe(3);
      const repair = await fsckDataDir(dir, { repair: true });
      expect(repair.findings).toEqual([
        expect.objectContaining({ file: join('vectors', 'lines.0.log'), kind: 'damaged' }),
      ]);
      expect(repair.rebuilt).toEqual([
        expect.stringMatching(/^vector index: \d+ line and \d+ word vectors from 6 receipts$/),
      ]);
      expect(await readdir(join(repair.backupDir!, 'vectors'))).toContain('lines.0.log');
      await expectAllCompacted(dir, imageIds);
      expect(await run(['fsck', '--data', dir])).toBe(0);
    },
  );

  it(
    'a half manifest refuses to start naming manifest.json; --repair rebuilds the index',
    { timeout: 60_000 },
    async () => {
      const { dir, imageIds } = await populate(3, 'stop');
      const manifest = join(dir, 'vectors', 'manifest.json');
      await truncateToFraction(manifest, 0.5);
      // Before: "Unexpected end of JSON input", naming nothing.
      await expect(
        LocalRuntime.open({ logger: collectingLogger(), dataDir: dir, ocr: new TaggedOcr() }),
      ).rejects.toThrow(`${manifest} is corrupt at byte`);
      expect(await run(['fsck', '--data', dir, '--repair'])).toBe(4);
      await expectAllCompacted(dir, imageIds);
    },
  );
});

describe('receipts fsck: other damage', () => {
  it(
    'a flipped byte mid job journal refuses to start; --repair salvages every other record and reports the one lost',
    { timeout: 60_000 },
    async () => {
      const { dir, imageIds } = await populate(5, 'crash');
      const journal = join(dir, 'jobs', 'job-table.jsonl');
      const before = await readFile(journal);
      const at = await flipByte(journal, Math.floor(before.length / 2));
      const error = await LocalRuntime.open({ logger: collectingLogger(), dataDir: dir, ocr: new TaggedOcr() }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({
        code: 'CORRUPT_DATA_FILE',
        file: journal,
        offset: before.lastIndexOf(0x0a, at - 1) + 1,
      });

      const repair = await fsckDataDir(dir, { repair: true });
      expect(repair.lost).toEqual([expect.stringContaining(`record at byte ${before.lastIndexOf(0x0a, at - 1) + 1}`)]);
      await expectAllCompacted(dir, imageIds);
      expect((await fsckDataDir(dir)).findings).toEqual([]);
    },
  );

  it(
    'a damaged stored image is reported, moved aside and listed as lost; the rest still opens',
    { timeout: 60_000 },
    async () => {
      const { dir } = await populate(2, 'stop');
      const rawDir = join(dir, 'objects', 'raw');
      const [name] = (await readdir(rawDir)).filter((n) => n.endsWith('.obj'));
      await flipByte(join(rawDir, name!), -3);
      const check = await fsckDataDir(dir);
      expect(check.findings).toEqual([
        expect.objectContaining({ file: join('objects', 'raw', name!), kind: 'damaged' }),
      ]);
      const repair = await fsckDataDir(dir, { repair: true });
      expect(repair.lost).toEqual([expect.stringContaining(name!)]);
      expect(await readdir(rawDir)).not.toContain(name);
      const { runtime } = await openRuntime(dir);
      await runtime.stop();
    },
  );
});

describe('receipts fsck: upload signing', () => {
  /** A presigned upload URL from the upload API, as a client gets it. */
  async function presign(runtime: LocalRuntime, filename: string) {
    const res = await runtime.upload(jsonPostEvent('/upload-receipt', { filename, content_type: 'image/png' }));
    return bodyOf<{ image_id: string; upload: { url: string } }>(res);
  }

  it(
    'a damaged used-URL ledger line refuses to start; --repair replaces the secret, so no earlier URL is accepted',
    { timeout: 60_000 },
    async () => {
      const { dir } = await populate(1, 'stop');
      const ocr = new TaggedOcr();
      const bytes = ocr.register('presigned', specLines(RECEIPTS[0]!.spec));
      let { runtime } = await openRuntime(dir, ocr);
      const used = await presign(runtime, 'used.png');
      await runtime.adapters.rawImages.acceptPresignedPut(used.upload.url, bytes, 'image/png');
      await runtime.upload(jsonPostEvent('/upload-complete', { image_id: used.image_id }));
      await runtime.drain();
      const unused = await presign(runtime, 'unused.png');
      await runtime.stop();
      const ledger = join(dir, 'uploads-used.log');
      const good = await readFile(ledger, 'utf8');
      await writeFile(ledger, `${good}not a ledger line\n`);

      await expect(openRuntime(dir)).rejects.toMatchObject({ code: 'CORRUPT_DATA_FILE', file: ledger });
      expect((await fsckDataDir(dir)).findings).toEqual([
        expect.objectContaining({ file: 'uploads-used.log', kind: 'damaged', offset: Buffer.byteLength(good) }),
      ]);
      const repair = await fsckDataDir(dir, { repair: true });
      expect(repair.lost).toEqual([
        expect.stringContaining(`uploads-used.log: line at byte ${Buffer.byteLength(good)}`),
      ]);
      expect(repair.rebuilt).toEqual([expect.stringContaining('presign.key: a new signing secret')]);
      expect((await fsckDataDir(dir)).findings).toEqual([]);

      ({ runtime } = await openRuntime(dir, ocr));
      try {
        for (const { upload } of [used, unused])
          await expect(
            runtime.adapters.rawImages.acceptPresignedPut(upload.url, bytes, 'image/png'),
          ).rejects.toMatchObject({ code: 'PRESIGNED_URL_INVALID', message: expect.stringContaining('bad signature') });
        const fresh = await presign(runtime, 'fresh.png');
        await runtime.adapters.rawImages.acceptPresignedPut(fresh.upload.url, bytes, 'image/png');
      } finally {
        await runtime.stop();
      }
    },
  );

  it('a damaged presign secret is found and replaced; a torn ledger line is cut off', { timeout: 60_000 }, async () => {
    const { dir } = await populate(1, 'stop');
    await writeFile(join(dir, 'presign.key'), '');
    await writeFile(join(dir, 'uploads-used.log'), `${'a'.repeat(32)} ${Date.now() + 60_000}\n${'b'.repeat(20)}`);
    await expect(openRuntime(dir)).rejects.toMatchObject({ code: 'PRESIGN_SECRET_INVALID' });
    expect((await fsckDataDir(dir)).findings).toEqual([
      expect.objectContaining({ file: 'presign.key', kind: 'damaged' }),
      expect.objectContaining({ file: 'uploads-used.log', kind: 'torn-tail', offset: 47, bytes: 20 }),
    ]);
    const repair = await fsckDataDir(dir, { repair: true });
    expect(repair.lost).toEqual([expect.stringContaining('presign.key: damaged signing secret')]);
    expect((await fsckDataDir(dir)).findings).toEqual([]);
    const { runtime } = await openRuntime(dir);
    await runtime.stop();
  });
});

describe('serve checkpoints its vector index', () => {
  it(
    'after N log operations and on a clean stop, so a restart replays only the tail',
    { timeout: 60_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'rf-checkpoint-'));
      dirs.push(dir);
      const ocr = new TaggedOcr();
      const logger = collectingLogger();
      const runtime = await LocalRuntime.open({
        logger,
        dataDir: dir,
        ocr,
        catalog: syntheticCatalog(),
        checkpointEveryOps: 4,
      });
      const vectors = runtime.adapters.vectors as HnswVectorIndex;
      for (let i = 0; i < 3; i++)
        await runtime.submit(`c${i}.png`, 'image/png', ocr.register(`c${i}`, specLines(RECEIPTS[i]!.spec)));
      await runtime.drain();
      expect(vectors.opsSinceCheckpoint).toBeGreaterThanOrEqual(4);
      expect(await runtime.checkpointIfDue()).toBe(1);
      expect(vectors.opsSinceCheckpoint).toBe(0);
      expect(await runtime.checkpointIfDue()).toBe(0);
      await runtime.submit('c3.png', 'image/png', ocr.register('c3', specLines(RECEIPTS[3]!.spec)));
      await runtime.drain();
      expect(vectors.opsSinceCheckpoint).toBeGreaterThan(0);
      await runtime.stop();
      expect(
        logger.entries.filter((e) => e.message === 'vector index checkpointed').map((e) => e.fields.reason),
      ).toEqual(['ops', 'stop']);

      const reopened = await HnswVectorIndex.open(join(dir, 'vectors'), { dimensions: 512 });
      expect(reopened.opsSinceCheckpoint).toBe(0);
      expect(await reopened.count('lines')).toBeGreaterThan(0);
      await reopened.close();
    },
  );
});
