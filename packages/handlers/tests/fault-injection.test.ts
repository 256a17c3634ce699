import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsImageStore, FsJobTable, HnswVectorIndex, jobTableStores } from '@receiptflow/adapters-local';
import { demoReceipts, renderReceipt, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeHandle } from '../src/cli/commands/serve.js';
import { FAULT_EVENTS, type FaultEvent } from '../src/local/fault/fault-plan.js';
import { Semaphore, spawnServe, type ServeChild } from './support/serve-child.js';

// `receipts serve` runs as a real child process with RECEIPTFLOW_FAULT=kill-after:<event>: it
// SIGKILLs itself the moment that write resolved. A serve restarted on the same data directory
// (in this process, to save a second tsx start-up) must then finish the receipt, exactly once.
// Real tesseract OCR on one small synthetic receipt per kill point.

const [DEMO] = demoReceipts();
// One item instead of several: a shorter receipt OCRs faster and still resolves its merchant.
const SPEC = { ...DEMO!.spec, items: DEMO!.spec.items.slice(0, 1), total: DEMO!.spec.items[0]!.price };
const PLACE_ID = DEMO!.truth.place_id;

// Kill points run three at a time: much of each is waiting (start-up, polling, queue waits),
// so overlapping them shortens the suite even on two cores.
const PARALLEL = 3;
const slots = new Semaphore(PARALLEL);

let work: string;
let catalogPath: string;
let png: Uint8Array;
const running = new Set<ServeChild>();
const serving = new Set<ServeHandle>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'receipts-fault-'));
  catalogPath = join(work, 'catalog.json');
  await writeFile(catalogPath, JSON.stringify(syntheticCatalog()));
  png = (await renderReceipt(SPEC)).png;
});
afterAll(async () => {
  for (const child of running) child.kill();
  await Promise.allSettled([...serving].map((s) => s.stop()));
  await rm(work, { recursive: true, force: true });
});

const serveArgs = (data: string) => ['--port', '0', '--data', data, '--places', catalogPath, '--log-format', 'json'];

/** A direct upload; null when the server died before answering (the upload was never acknowledged). */
async function upload(base: string): Promise<string | null> {
  try {
    const res = await fetch(`${base}/upload-receipt?filename=receipt.png`, {
      method: 'POST',
      body: png,
      headers: { 'content-type': 'image/png' },
    });
    expect(res.status).toBe(201);
    return String(((await res.json()) as { image_id: string }).image_id);
  } catch (error) {
    if (error instanceof TypeError) return null; // fetch failed: connection reset by the kill
    throw error;
  }
}

interface Status {
  stage: string;
  job_status: string | null;
  receipts: { place_id: string | null; compacted: boolean }[];
}

async function status(base: string, imageId: string): Promise<Status | null> {
  const res = await fetch(`${base}/upload-status?image_id=${imageId}`);
  if (res.status === 404) return null;
  expect(res.status).toBe(200);
  return (await res.json()) as Status;
}

async function waitCompacted(base: string, imageId: string): Promise<Status> {
  const until = Date.now() + 60_000;
  for (;;) {
    const s = await status(base, imageId);
    if (s?.stage === 'compacted' || s?.job_status === 'FAILED' || Date.now() > until) return s!;
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Every image id with stored bytes, read from the raw bucket's keys (`raw/<image_id>/<file>`). */
async function storedImageIds(data: string): Promise<string[]> {
  const raw = new FsImageStore({ bucket: 'raw', dir: join(data, 'objects', 'raw') });
  return [...new Set((await raw.list('raw/')).map((key) => key.split('/')[1]!))];
}

/**
 * Reads the data directory after the restarted serve stopped: no job left unfinished, one
 * receipt per image with its place and exactly one run, both collections COMPLETED with every
 * vector, and the index holding exactly the stored lines and words.
 */
async function verifyDataDir(data: string): Promise<{ images: number; lines: number; words: number }> {
  const table = await FsJobTable.open(join(data, 'jobs'));
  const { jobs, receipts: receiptStore, runs: runStore } = jobTableStores(table);
  const vectors = await HnswVectorIndex.open(join(data, 'vectors'));
  try {
    for (const unfinished of ['PENDING', 'PROCESSING', 'FAILED'] as const) {
      expect(await jobs.listJobsByStatus(unfinished), `${unfinished} jobs`).toEqual([]);
    }
    let lines = 0;
    let words = 0;
    const completed = await jobs.listJobsByStatus('COMPLETED');
    for (const job of completed) {
      const receipts = await receiptStore.list(job.image_id);
      expect(receipts, `receipts of ${job.image_id}`).toHaveLength(1);
      const { receipt, lines: l, words: w } = receipts[0]!;
      expect((await receiptStore.getPlace(job.image_id, receipt.receipt_id))?.place_id).toBe(PLACE_ID);
      const runs = await runStore.list(job.image_id, receipt.receipt_id);
      expect(runs, `runs of ${job.image_id}`).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        lines: { state: 'COMPLETED', vector_count: l.length, merged_count: l.length },
        words: { state: 'COMPLETED', vector_count: w.length, merged_count: w.length },
      });
      lines += l.length;
      words += w.length;
    }
    expect(await vectors.count('lines')).toBe(lines);
    expect(await vectors.count('words')).toBe(words);
    return { images: completed.length, lines, words };
  } finally {
    await vectors.close();
    await table.close();
  }
}

describe('fault injection: serve SIGKILLed after each pipeline event, restarted on the same data', () => {
  it.concurrent.each(FAULT_EVENTS as readonly FaultEvent[])(
    'kill after %s: the receipt is compacted exactly once',
    { timeout: 400_000 },
    async (event) => {
      await slots.run(() => killAndRecover(event));
    },
  );
});

async function killAndRecover(event: FaultEvent): Promise<void> {
  const data = join(work, event);
  const child = spawnServe(serveArgs(data), { RECEIPTFLOW_FAULT: `kill-after:${event}` });
  running.add(child);
  const acknowledged = await upload(await child.url);
  const exit = await child.exited;
  running.delete(child);
  expect(exit.signal, child.stderr()).toBe('SIGKILL');
  expect(child.stderr()).toContain(`receiptflow fault: SIGKILL after ${event} #1`);

  const restarted = await startServe(serveArgs(data), () => undefined);
  serving.add(restarted);
  const known: string[] = [];
  try {
    for (const id of await storedImageIds(data)) if ((await status(restarted.url, id)) !== null) known.push(id);
    // An upload killed before it answered was never acknowledged: the client retries. The same
    // bytes are the same image: a retry finishes the one the killed upload started (or finds it
    // whole and answers it as a duplicate), never a second receipt.
    if (acknowledged === null) {
      const retried = await upload(restarted.url);
      expect(retried).not.toBeNull();
      if (!known.includes(retried!)) known.push(retried!);
    } else {
      expect(known).toContain(acknowledged);
    }
    for (const id of known) {
      const s = await waitCompacted(restarted.url, id);
      expect(s, `${event}: ${id}`).toMatchObject({
        stage: 'compacted',
        job_status: 'COMPLETED',
        receipts: [{ place_id: PLACE_ID, compacted: true }],
      });
    }
  } finally {
    serving.delete(restarted);
    await restarted.stop();
  }

  const totals = await verifyDataDir(data);
  expect(totals.images).toBe(known.length);
  expect(totals.lines).toBeGreaterThan(4);
}
