/**
 * Figures for docs/operations.md (not a test; nothing here asserts a time):
 *
 * 1. Startup with ~100 receipts of vectors: reopening after a crash (every vector replayed from
 *    the log, what `serve` did on every start before it checkpointed) vs after a clean stop
 *    (snapshots loaded, empty log tail), vs a checkpoint plus a 10-receipt tail.
 * 2. What syncing the job journal costs an upload (IMAGE + OCR_JOB, as submitJob writes them),
 *    one at a time and 50 at once (group commit).
 *
 * Run: pnpm exec tsx packages/devkit/bench/durability.ts [receipts=100]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@receiptflow/core';
import { makeImage, makeJob } from '@receiptflow/core/testing';
import { FsJobTable, HnswVectorIndex, InMemoryOcrJobStore } from '@receiptflow/adapters-local';
import { demoReceipts, printedLines, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { LocalRuntime } from '@receiptflow/handlers/local';
import { TaggedOcr } from '../src/fakes/index.js';

const receipts = Number(process.argv[2] ?? 100);
const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;

async function timeOpen(dataDir: string, label: string): Promise<void> {
  const t = performance.now();
  const runtime = await LocalRuntime.open({
    logger: silentLogger,
    dataDir,
    ocr: new TaggedOcr(),
    checkpointEveryOps: 1e9,
  });
  const took = ms(t);
  const v = runtime.adapters.vectors as HnswVectorIndex;
  console.log(
    `${label.padEnd(44)} ${took.padStart(8)}  (lines ${await v.count('lines')}, words ${await v.count('words')}, log ops replayed ${v.opsSinceCheckpoint})`,
  );
  return runtime.adapters.close(); // as a crash leaves it: no checkpoint
}

async function startup(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rf-bench-durability-'));
  const ocr = new TaggedOcr();
  const demo = demoReceipts();
  const runtime = await LocalRuntime.open({
    logger: silentLogger,
    dataDir,
    ocr,
    catalog: syntheticCatalog(),
    checkpointEveryOps: 1e9,
  });
  const t = performance.now();
  for (let i = 0; i < receipts; i++) {
    const bytes = ocr.register(`b${i}`, printedLines(demo[i % demo.length]!.spec));
    await runtime.submit(`b${i}.png`, 'image/png', bytes);
    if (i % 10 === 9) await runtime.drain();
  }
  await runtime.drain();
  console.log(`pipeline: ${receipts} receipts in ${ms(t)}`);
  await runtime.adapters.close();
  const logBytes =
    (await stat(join(dataDir, 'vectors', 'lines.0.log'))).size +
    (await stat(join(dataDir, 'vectors', 'words.0.log'))).size;
  console.log(`vector logs: ${(logBytes / 1024).toFixed(0)} KB`);
  await timeOpen(dataDir, 'start, no checkpoint (whole log replayed)');

  const stopped = await LocalRuntime.open({ logger: silentLogger, dataDir, ocr: new TaggedOcr() });
  const c = performance.now();
  await stopped.stop(); // clean stop checkpoints
  console.log(`clean stop with checkpoint: ${ms(c)}`);
  await timeOpen(dataDir, 'start after clean stop (snapshot, empty tail)');

  const more = await LocalRuntime.open({
    logger: silentLogger,
    dataDir,
    ocr,
    catalog: syntheticCatalog(),
    checkpointEveryOps: 1e9,
  });
  for (let i = receipts; i < receipts + 10; i++)
    await more.submit(`b${i}.png`, 'image/png', ocr.register(`b${i}`, printedLines(demo[i % demo.length]!.spec)));
  await more.drain();
  await more.adapters.close();
  await timeOpen(dataDir, 'start, snapshot + 10-receipt log tail');
  await rm(dataDir, { recursive: true, force: true });
}

async function journalCost(): Promise<void> {
  for (const fsync of [false, true]) {
    const dir = await mkdtemp(join(tmpdir(), 'rf-bench-journal-'));
    const table = await FsJobTable.open(dir, { fsync });
    const jobs = new InMemoryOcrJobStore({ table });
    const upload = async () => {
      const image = makeImage();
      await jobs.createImage(image);
      await jobs.createJob(makeJob({ image_id: image.image_id }));
    };
    let t = performance.now();
    for (let i = 0; i < 100; i++) await upload();
    const serial = (performance.now() - t) / 100;
    t = performance.now();
    await Promise.all(Array.from({ length: 50 }, upload));
    const concurrent = performance.now() - t;
    console.log(
      `journal fsync=${fsync}: ${serial.toFixed(2)} ms per upload one at a time; 50 at once ${concurrent.toFixed(0)} ms in all`,
    );
    await table.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await startup();
await journalCost();
