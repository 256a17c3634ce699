import { describe, expect, it } from 'vitest';
import {
  getReceipt,
  NotFoundError,
  processOcrResults,
  runOcrJob,
  similarReceipts,
  submitJob,
  ValidationError,
  type ImageRecord,
} from '@receiptflow/core';
import { PNG_BYTES, nextPng, ocrDocument, pipeline, type Pipeline } from '../use-cases/harness.js';

const HARBOR = ['HARBOR LANE GROCERY', '1452 HARBOR LANE', 'OAKLAND, CA 94607', 'TEL (510) 555-0142'];
const HARBOR_1 = [...HARBOR, 'MILK 2.49', 'BREAD 3.10', 'TOTAL 5.59'];
const HARBOR_2 = [...HARBOR, 'EGGS 4.20', 'MILK 2.49', 'TOTAL 6.69'];
const COFFEE = [
  'BLUE BOTTLE COFFEE',
  '300 WEBSTER ST',
  'SAN FRANCISCO CA',
  'LATTE 5.00',
  'CROISSANT 4.25',
  'TOTAL 9.25',
];

/**
 * Uploads one receipt as `owner` (undefined: as before owners existed), OCRs it and processes the
 * results. Each upload is other bytes (`nextPng`): the same bytes twice would be a duplicate upload.
 */
async function ingestAs(p: Pipeline, owner: string | undefined, lines: readonly string[], body = nextPng()) {
  const submitted = await submitJob(p.submitDeps, {
    filename: 'r.png',
    contentType: 'image/png',
    body,
    ...(owner === undefined ? {} : { owner }),
  });
  p.ocr.next = ocrDocument(lines);
  await runOcrJob(p.ocrDeps, { job_id: submitted.job_id, image_id: submitted.image_id });
  const [results] = await p.resultsQueue.receive({ maxMessages: 1 });
  await results!.ack();
  await processOcrResults(p.processDeps, results!.body);
  return submitted.image_id;
}

const readDeps = (p: Pipeline) => ({ jobs: p.jobs, receipts: p.receipts, runs: p.runs, images: p.raw });

async function fetched(p: Pipeline, url: string): Promise<number[]> {
  const chunks: number[] = [];
  for await (const chunk of (await p.raw.openPresignedDownload(url)).body) chunks.push(...chunk);
  return chunks;
}

describe('getReceipt', () => {
  it("gives the owner's receipt with fields, merchant, ordered lines and words, routing, stage and an image URL", async () => {
    const p = pipeline();
    const imageId = await ingestAs(p, 'alice', HARBOR_1, PNG_BYTES);
    const before = await getReceipt(readDeps(p), 'alice', imageId, 1);
    expect(before.stage).toBe('merchant');
    await p.compactAll();
    const view = await getReceipt(readDeps(p), 'alice', imageId, 1);
    expect(view.stage).toBe('compacted');
    expect(view.receipt).toMatchObject({ image_id: imageId, receipt_id: 1 });
    expect(view.merchant).toEqual(await p.receipts.getPlace(imageId, 1));
    expect(view.lines.map((l) => l.text)).toEqual(HARBOR_1);
    expect(view.lines.map((l) => l.line_id)).toEqual([...view.lines.map((l) => l.line_id)].sort((a, b) => a - b));
    expect(view.words.length).toBeGreaterThan(HARBOR_1.length);
    expect(view.words[0]).toMatchObject({ line_id: 1, word_id: 1, text: 'HARBOR' });
    expect(view.words[0]!.bounding_box).toBeDefined();
    expect(view.routing).toMatchObject({ image_id: imageId, image_type: 'NATIVE', receipt_count: 1 });
    expect(view.receipt.fields?.total).toMatchObject({ minor: 559 });
    // The URL reads the uploaded bytes, and expires in minutes, not days.
    expect(await fetched(p, view.image_url)).toEqual(Array.from(PNG_BYTES));
    const lifetime = Date.parse(view.image_url_expires_at) - p.clock.now();
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(3_600_000);
  });

  it("answers another owner's receipt exactly as an unknown one: NotFoundError, never a hint that it exists", async () => {
    const p = pipeline();
    const imageId = await ingestAs(p, 'alice', HARBOR_1);
    const foreign = await getReceipt(readDeps(p), 'bob', imageId, 1).catch((e: unknown) => e);
    const unknown = await getReceipt(readDeps(p), 'bob', 'no-such-image', 1).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(NotFoundError);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect((foreign as Error).message.replace(imageId, 'ID')).toBe(
      (unknown as Error).message.replace('no-such-image', 'ID'),
    );
    await expect(getReceipt(readDeps(p), 'alice', imageId, 2)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('rows written before owners existed belong to the default owner', async () => {
    const p = pipeline();
    const imageId = await ingestAs(p, undefined, HARBOR_1);
    expect(((await p.jobs.getImage(imageId)) as ImageRecord).owner).toBeUndefined();
    await expect(getReceipt(readDeps(p), 'default', imageId, 1)).resolves.toMatchObject({ receipt: { receipt_id: 1 } });
    await expect(getReceipt(readDeps(p), 'alice', imageId, 1)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a malformed image_id or receipt_id is a ValidationError naming it', async () => {
    const p = pipeline();
    await expect(getReceipt(readDeps(p), 'alice', '../x', 1)).rejects.toThrow(/image_id/);
    await expect(getReceipt(readDeps(p), 'alice', '../x', 1)).rejects.toBeInstanceOf(ValidationError);
    for (const id of [0, -1, 1.5, 100_000]) {
      await expect(getReceipt(readDeps(p), 'alice', 'img', id)).rejects.toThrow(/receipt_id/);
    }
  });
});

describe('similarReceipts', () => {
  async function scene() {
    const p = pipeline();
    const a1 = await ingestAs(p, 'alice', HARBOR_1);
    const a2 = await ingestAs(p, 'alice', HARBOR_2);
    const a3 = await ingestAs(p, 'alice', COFFEE);
    // Bob's copy of alice's first receipt: the nearest of all, and never hers to see.
    const b1 = await ingestAs(p, 'bob', HARBOR_1);
    await p.compactAll();
    return { p, a1, a2, a3, b1, deps: { jobs: p.jobs, receipts: p.receipts, vectors: p.vectors } };
  }

  it("ranks the owner's other receipts by their lines' similarity, without itself or other owners' receipts", async () => {
    const { p, a1, a2, a3, b1, deps } = await scene();
    const { similar } = await similarReceipts(deps, 'alice', a1, 1, 5);
    expect(similar.map((s) => s.image_id)).toEqual([a2, a3]);
    expect(similar.map((s) => s.image_id)).not.toContain(b1);
    expect(similar[0]!.score).toBeGreaterThan(similar[1]!.score);
    expect(similar[0]!.score).toBeLessThanOrEqual(1);
    const place = await p.receipts.getPlace(a2, 1);
    expect(similar[0]!.merchant).toEqual(
      place?.place_id ? { place_id: place.place_id, name: place.merchant_name, source: place.source } : null,
    );
    // Bob sees his own receipt's neighbours only: none (he has one receipt).
    expect((await similarReceipts(deps, 'bob', b1, 1, 5)).similar).toEqual([]);
  });

  it('returns at most k, best first', async () => {
    const { a1, a2, deps } = await scene();
    expect((await similarReceipts(deps, 'alice', a1, 1, 1)).similar.map((s) => s.image_id)).toEqual([a2]);
  });

  it('a receipt not compacted yet has no neighbours to show; a foreign or unknown one is NotFoundError; k is checked', async () => {
    const { p, a1, b1, deps } = await scene();
    const fresh = await ingestAs(p, 'alice', HARBOR_2);
    expect((await similarReceipts(deps, 'alice', fresh, 1, 5)).similar).toEqual([]);
    await expect(similarReceipts(deps, 'alice', b1, 1, 5)).rejects.toBeInstanceOf(NotFoundError);
    await expect(similarReceipts(deps, 'alice', a1, 9, 5)).rejects.toBeInstanceOf(NotFoundError);
    for (const k of [0, 51, 2.5]) {
      await expect(similarReceipts(deps, 'alice', a1, 1, k)).rejects.toThrow(/\bk\b/);
    }
  });
});
