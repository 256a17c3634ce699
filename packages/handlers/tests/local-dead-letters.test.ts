import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptDataFileError, InMemoryDeadLetterQueue } from '@receiptflow/adapters-local';
import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { fsckDataDir } from '../src/local/fsck.js';
import { DATA_LAYOUT } from '../src/local/local-adapters.js';
import { LocalRuntime } from '../src/local/local-runtime.js';
import { collectingLogger, TaggedOcr } from './support/fixtures.js';

// A poison message is often known only by its dead letter: one that never named a real job
// leaves nothing in the job table for recovery to re-send. So the DLQs of `receipts serve` are
// kept under --data, and a restart, even after kill -9, shows the operator what it showed before.

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function open(dataDir: string) {
  return LocalRuntime.open({ logger: collectingLogger(), dataDir, ocr: new TaggedOcr(), catalog: syntheticCatalog() });
}

/** A data directory whose ocr-queue DLQ holds two poison messages, closed as a crash leaves it. */
async function withPoison(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rf-dlq-'));
  dirs.push(dir);
  const runtime = await open(dir);
  await runtime.adapters.ocrQueue.send('not json');
  await runtime.adapters.ocrQueue.send('{"image_id":"nope","job_id":"nope"}');
  await runtime.drain();
  await runtime.adapters.close(); // no clean stop: what kill -9 leaves on disk
  return dir;
}

function ocrDeadLetters(runtime: LocalRuntime) {
  return new InMemoryDeadLetterQueue(runtime.adapters.ocrDlq, runtime.adapters.ocrQueue);
}

describe('receipts serve keeps its dead-letter queues on disk', () => {
  it('poison messages and their reasons survive a crash; a redrive survives the next one', async () => {
    const dir = await withPoison();
    const runtime = await open(dir);
    const dead = await ocrDeadLetters(runtime).list(10);
    expect(dead.map((m) => m.body).sort()).toEqual(['not json', '{"image_id":"nope","job_id":"nope"}'].sort());
    for (const m of dead) expect(m.note?.reason, m.body).toMatch(/\S/);

    expect(await ocrDeadLetters(runtime).redrive(dead[0]!.id)).toBe(true);
    await runtime.adapters.close();
    const again = await open(dir);
    try {
      expect((await ocrDeadLetters(again).list(10)).map((m) => m.id)).toEqual([dead[1]!.id]);
    } finally {
      await again.stop();
    }
  });

  it('a damaged dead-letter journal refuses to start, naming it; fsck --repair keeps the good letters', async () => {
    const dir = await withPoison();
    const file = join(dir, DATA_LAYOUT.deadLetters, 'ocr-queue-dlq.log');
    const bytes = await readFile(file);
    const at = bytes.indexOf('not json');
    bytes[at] = 'N'.charCodeAt(0);
    await writeFile(file, bytes);

    const refused = await open(dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CorruptDataFileError);
    expect((refused as Error).message).toContain('ocr-queue-dlq.log');

    const check = await fsckDataDir(dir);
    expect(check.findings).toEqual([
      expect.objectContaining({ file: join(DATA_LAYOUT.deadLetters, 'ocr-queue-dlq.log'), kind: 'damaged' }),
    ]);
    const repaired = await fsckDataDir(dir, { repair: true });
    expect(repaired.lost).toEqual([expect.stringContaining('ocr-queue-dlq.log: dead letter at byte 0')]);
    const runtime = await open(dir);
    try {
      expect((await ocrDeadLetters(runtime).list(10)).map((m) => m.body)).toEqual([
        '{"image_id":"nope","job_id":"nope"}',
      ]);
    } finally {
      await runtime.stop();
    }
  });
});
