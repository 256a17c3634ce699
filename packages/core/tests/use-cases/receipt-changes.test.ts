import { describe, expect, it } from 'vitest';
import {
  NotFoundError,
  ValidationError,
  confirmUpload,
  correctReceipt,
  deleteReceipt,
  processOcrResults,
  recoverUnfinishedWork,
  runOcrJob,
  submitJob,
  type CorrectReceiptDeps,
  type DeleteReceiptDeps,
} from '@receiptflow/core';
import { makeReceiptDetails } from '@receiptflow/core/testing';
import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import {
  PNG_BYTES,
  demoReceipts,
  distinctPng,
  ocrDocument,
  pipeline,
  recoveryDeps,
  specLines,
  twoUp,
  type Pipeline,
} from './harness.js';

const DEMO = demoReceipts(1);
const OWNER = 'default';

function changeDeps(p: Pipeline): CorrectReceiptDeps & DeleteReceiptDeps {
  return {
    jobs: p.jobs,
    receipts: p.receipts,
    places: p.processDeps.places,
    images: p.raw,
    artifacts: p.artifacts,
    clock: p.clock,
  };
}

/** Every vector of one receipt, in both collections. */
async function vectorsOf(p: Pipeline, image_id: string, receipt_id = 1) {
  const out = [];
  for (const collection of ['lines', 'words'] as const) {
    const ids = await p.baseIndex.findIds(collection, { image_id, receipt_id });
    out.push(...(await p.baseIndex.get(collection, ids)));
  }
  return out;
}

describe('correctReceipt', () => {
  it("a merchant correction is the user's place, and the stream carries it to every vector of the receipt", async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const b = await p.ingest(specLines(DEMO[1]!.spec));
    expect((await p.compactAll()).failed).toEqual([]);
    const before = await vectorsOf(p, b.image_id);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((v) => v.metadata.place_id === DEMO[1]!.truth.place_id)).toBe(true);

    const result = await correctReceipt(changeDeps(p), OWNER, b.image_id, 1, {
      merchant: { place_id: DEMO[0]!.truth.place_id },
    });
    expect(result.merchant).toMatchObject({
      source: 'user',
      place_id: DEMO[0]!.truth.place_id,
      merchant_name: DEMO[0]!.truth.merchant_name,
      confidence: 1,
    });
    expect(await p.receipts.getPlace(b.image_id, 1)).toEqual(result.merchant);

    // The place MODIFY is routed to update_metadata for both collections; compaction applies it.
    const compacted = await p.compactAll();
    expect(compacted.failed).toEqual([]);
    const after = await vectorsOf(p, b.image_id);
    expect(after).toHaveLength(before.length);
    expect(after.every((v) => v.metadata.place_id === DEMO[0]!.truth.place_id)).toBe(true);
    expect(after.every((v) => v.metadata.merchant_name === DEMO[0]!.truth.merchant_name)).toBe(true);
    // The other receipt's vectors are untouched.
    const other = await vectorsOf(p, a.image_id);
    expect(other.every((v) => v.metadata.place_id === DEMO[0]!.truth.place_id)).toBe(true);
  });

  // Issue 15/16: the console's place search offers places only Places knows (receipt_count 0).
  it('corrects to a place none of the receipts knows but the Places service does, stored from its answer', async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const shop = syntheticCatalog().find((c) => c.place_id !== DEMO[0]!.truth.place_id && c.phone !== null)!;
    expect(await p.receipts.listByPlaceId(shop.place_id)).toEqual([]);
    const result = await correctReceipt(changeDeps(p), OWNER, a.image_id, 1, { merchant: { place_id: shop.place_id } });
    expect(result.merchant).toMatchObject({
      place_id: shop.place_id,
      merchant_name: shop.name,
      address: shop.formatted_address,
      phone: shop.phone,
      source: 'user',
      confidence: 1,
      evidence: ['user'],
    });
    expect(await p.receipts.getPlace(a.image_id, 1)).toEqual(result.merchant);
    // Through the cached resolver: correcting a second receipt to the same shop costs no call.
    const calls = p.catalogPlaces.calls;
    const b = await p.ingest(specLines(DEMO[1]!.spec));
    const afterIngest = p.catalogPlaces.calls;
    expect(afterIngest).toBeGreaterThanOrEqual(calls);
    await correctReceipt(changeDeps(p), OWNER, b.image_id, 1, { merchant: { place_id: shop.place_id } });
    expect(p.catalogPlaces.calls).toBe(afterIngest);
  });

  it("never reads another owner's receipts for the place: one only bob's receipt knows is refused to alice", async () => {
    const p = pipeline();
    const mine = await p.ingest(specLines(DEMO[0]!.spec));
    const bobs = await p.ingest(specLines(DEMO[1]!.spec), 'bob.png', { owner: 'bob' });
    const bobPlace = (await p.receipts.getPlace(bobs.image_id, 1))!;
    await p.receipts.putPlace({ ...bobPlace, place_id: 'ChIJ-bobs-corner-shop', merchant_name: "BOB'S SECRET SHOP" });
    const stored = await p.receipts.getPlace(mine.image_id, 1);
    const error = await correctReceipt(changeDeps(p), OWNER, mine.image_id, 1, {
      merchant: { place_id: 'ChIJ-bobs-corner-shop' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.join()).toMatch(/^merchant\.place_id:/);
    expect(await p.receipts.getPlace(mine.image_id, 1)).toEqual(stored);
    // Bob himself may correct another of his receipts to it: his own receipt knows the place.
    const bobs2 = await p.ingest(specLines(DEMO[0]!.spec), 'bob2.png', { owner: 'bob' });
    const ok = await correctReceipt(changeDeps(p), 'bob', bobs2.image_id, 1, {
      merchant: { place_id: 'ChIJ-bobs-corner-shop' },
    });
    expect(ok.merchant).toMatchObject({ merchant_name: "BOB'S SECRET SHOP", source: 'user' });
  });

  it('refuses a place_id neither the receipts nor the Places service know, naming merchant.place_id, and changes nothing', async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const stored = await p.receipts.getPlace(a.image_id, 1);
    const error = await correctReceipt(changeDeps(p), OWNER, a.image_id, 1, {
      merchant: { place_id: 'ChIJ-never-seen' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.join()).toMatch(/^merchant\.place_id:/);
    expect(await p.receipts.getPlace(a.image_id, 1)).toEqual(stored);
  });

  it.each([
    [{ fields: { date: '2024-02-31' } }, /^fields\.date:/],
    [{ fields: { date: '09/03/2024' } }, /^fields\.date:/],
    [{ fields: { total: { minor: 12.5, currency: 'USD' } } }, /^fields\.total\.minor:/],
    [{ fields: { tax: { minor: 100, currency: 'XYZ' } } }, /^fields\.tax\.currency:/],
    [{ fields: { payment_method: 'bitcoin' } }, /^fields\.payment_method:/],
    [{ fields: { tip: { minor: 1 } } }, /^fields\.tip:/],
    [{ colour: 'red' }, /^colour:/],
    [{}, /nothing to correct/],
    ['not an object', /^\(root\):/],
  ])('refuses %j with a ValidationError naming the field', async (patch, named) => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const error = await correctReceipt(changeDeps(p), OWNER, a.image_id, 1, patch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('VALIDATION_FAILED');
    expect((error as ValidationError).issues.join('\n')).toMatch(named);
  });

  it("stores corrected fields as the user's, and a redelivered OCR-results message keeps them and the user's merchant", async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const extracted = (await p.receipts.get(a.image_id, 1))!.receipt.fields!;
    expect(extracted.total?.source).toBe('extracted');
    await p.ingest(specLines(DEMO[1]!.spec)); // a second merchant to correct to

    await correctReceipt(changeDeps(p), OWNER, a.image_id, 1, {
      merchant: { place_id: DEMO[1]!.truth.place_id },
      fields: { date: '2023-12-24', total: { minor: 4321 }, payment_method: 'cash' },
    });
    const corrected = (await p.receipts.get(a.image_id, 1))!.receipt.fields!;
    expect(corrected.date).toEqual({ value: '2023-12-24', text: '', line_ids: [], source: 'user' });
    // The currency defaults to the one the receipt's total was read in.
    expect(corrected.total).toEqual({
      minor: 4321,
      currency: extracted.total!.currency,
      text: '',
      line_ids: [],
      source: 'user',
    });
    expect(corrected.payment_method).toMatchObject({ value: 'cash', source: 'user' });
    // Fields not corrected stay as extracted.
    expect(corrected.subtotal).toEqual(extracted.subtotal);

    // Reprocessing: the same message again, and once more with the stored run gone (as if it
    // were lost), so the receipt is processed again from the document.
    await processOcrResults(p.processDeps, a.resultsBody);
    const PK = `IMAGE#${a.image_id}`;
    const runRows = p.table.sortKeys(PK, (sk) => sk.includes('#COMPACTION_RUN#'));
    expect(runRows).toHaveLength(1);
    await p.table.commit(runRows.map((SK) => ({ PK, SK, row: null })));
    const again = await processOcrResults(p.processDeps, a.resultsBody);
    expect(again.receipts[0]!.place).toMatchObject({ source: 'user', place_id: DEMO[1]!.truth.place_id });
    const stored = await p.receipts.get(a.image_id, 1);
    expect(stored!.receipt.fields).toEqual(corrected);
    expect(await p.receipts.getPlace(a.image_id, 1)).toMatchObject({
      source: 'user',
      place_id: DEMO[1]!.truth.place_id,
    });
  });

  it("replaces the line items with the user's, which a redelivered OCR-results message keeps whole", async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const extracted = (await p.receipts.get(a.image_id, 1))!.receipt.fields!;
    expect(extracted.line_items.length).toBeGreaterThan(1);
    const currency = extracted.total!.currency;

    const { receipt } = await correctReceipt(changeDeps(p), OWNER, a.image_id, 1, {
      fields: {
        line_items: [
          { description: ' Oat milk 1L ', quantity: 2, unit_price: { minor: 249 }, amount: { minor: 498 } },
          { description: 'Bag', amount: { minor: 10, currency: 'EUR' } },
        ],
      },
    });
    const mine = [
      {
        description: 'Oat milk 1L',
        quantity: 2,
        unit_price: { minor: 249, currency },
        amount: { minor: 498, currency },
        line_ids: [],
        source: 'user',
      },
      {
        description: 'Bag',
        quantity: null,
        unit_price: null,
        amount: { minor: 10, currency: 'EUR' },
        line_ids: [],
        source: 'user',
      },
    ];
    expect(receipt.fields!.line_items).toEqual(mine);
    const stored = (await p.receipts.get(a.image_id, 1))!.receipt.fields!;
    expect(stored.line_items).toEqual(mine);
    // The other fields are untouched.
    expect({ ...stored, line_items: [] }).toEqual({ ...extracted, line_items: [] });

    await processOcrResults(p.processDeps, a.resultsBody);
    const PK = `IMAGE#${a.image_id}`;
    await p.table.commit(
      p.table.sortKeys(PK, (sk) => sk.includes('#COMPACTION_RUN#')).map((SK) => ({ PK, SK, row: null })),
    );
    await processOcrResults(p.processDeps, a.resultsBody);
    expect((await p.receipts.get(a.image_id, 1))!.receipt.fields!.line_items).toEqual(mine);
  });

  it.each([
    [{ line_items: [] }, /fields\.line_items: /],
    [{ line_items: [{ description: 'x', amount: { minor: 1 }, colour: 'red' }] }, /fields\.line_items\.0\.colour: /],
    [{ line_items: [{ description: '  ', amount: { minor: 1 } }] }, /fields\.line_items\.0\.description: /],
    [{ line_items: [{ description: 'x', quantity: 0, amount: { minor: 1 } }] }, /fields\.line_items\.0\.quantity: /],
    [{ line_items: [{ description: 'x', amount: { minor: 1.5 } }] }, /fields\.line_items\.0\.amount\.minor: /],
  ])('refuses the line items %j, naming the field, and writes nothing', async (fields, named) => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const before = (await p.receipts.get(a.image_id, 1))!.receipt.fields;
    const error = await correctReceipt(changeDeps(p), OWNER, a.image_id, 1, { fields }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.join('\n')).toMatch(named);
    expect((await p.receipts.get(a.image_id, 1))!.receipt.fields).toEqual(before);
  });

  it("another owner's receipt, and a receipt that does not exist, are NotFoundError", async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    for (const [owner, image, receipt] of [
      ['mallory', a.image_id, 1],
      [OWNER, a.image_id, 2],
      [OWNER, 'img-missing', 1],
    ] as const) {
      const error = await correctReceipt(changeDeps(p), owner, image, receipt, {
        fields: { date: '2024-01-01' },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as NotFoundError).code).toBe('NOT_FOUND');
    }
    expect((await p.receipts.get(a.image_id, 1))!.receipt.fields!.date?.source).toBe('extracted');
  });
});

describe('deleteReceipt', () => {
  it('leaves a tombstone: a redelivered OCR message and the sweep do not bring it back; vectors and image go', async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    expect((await p.compactAll()).failed).toEqual([]);
    expect((await vectorsOf(p, a.image_id)).length).toBeGreaterThan(0);
    const image = (await p.jobs.getImage(a.image_id))!;
    expect(await p.raw.head(image.s3_key)).not.toBeNull();

    expect(await deleteReceipt(changeDeps(p), OWNER, a.image_id, 1)).toEqual({ deleted: true, image_deleted: true });
    expect(await p.receipts.get(a.image_id, 1)).toBeNull();
    expect(await p.receipts.getTombstone(a.image_id, 1)).toMatchObject({ owner: OWNER });

    // Vectors: the receipt REMOVE goes through the stream processor to delete_receipt.
    expect((await p.compactAll()).failed).toEqual([]);
    expect(await vectorsOf(p, a.image_id)).toEqual([]);
    // The image: its bytes, its OCR document and its rows.
    expect(await p.raw.head(image.s3_key)).toBeNull();
    expect(await p.artifacts.list(`ocr/${a.image_id}`)).toEqual([]);
    expect(await p.jobs.getImage(a.image_id)).toBeNull();

    // Redelivery of the OCR-results message: still deleted, nothing written.
    const redelivered = await processOcrResults(p.processDeps, a.resultsBody);
    expect(redelivered.receipts).toEqual([]);
    expect(await p.receipts.get(a.image_id, 1)).toBeNull();
    // The sweep re-sends nothing for it.
    const report = await recoverUnfinishedWork(recoveryDeps(p), { now: p.clock.now() + 1, olderThanMs: 0 });
    expect(report.results).toEqual([]);
    expect((await p.compactAll()).failed).toEqual([]);
    expect(await vectorsOf(p, a.image_id)).toEqual([]);
  });

  it('deleting twice is fine; another owner, or a receipt never stored, is NotFoundError', async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    await expect(deleteReceipt(changeDeps(p), 'mallory', a.image_id, 1)).rejects.toBeInstanceOf(NotFoundError);
    expect(await p.receipts.get(a.image_id, 1)).not.toBeNull();
    await deleteReceipt(changeDeps(p), OWNER, a.image_id, 1);
    expect(await deleteReceipt(changeDeps(p), OWNER, a.image_id, 1)).toEqual({ deleted: false, image_deleted: true });
    // After the delete too, another owner learns nothing (404, not "deleted").
    await expect(deleteReceipt(changeDeps(p), 'mallory', a.image_id, 1)).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteReceipt(changeDeps(p), OWNER, a.image_id, 7)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('one receipt of a two-receipt page: the other and the image stay, a redelivery recreates only the kept one', async () => {
    const p = pipeline();
    const page = await p.ingest(twoUp(specLines(DEMO[0]!.spec), specLines(DEMO[1]!.spec)));
    expect(page.processed.receipts).toHaveLength(2);
    expect(await deleteReceipt(changeDeps(p), OWNER, page.image_id, 1)).toEqual({
      deleted: true,
      image_deleted: false,
    });
    const image = (await p.jobs.getImage(page.image_id))!;
    expect(await p.raw.head(image.s3_key)).not.toBeNull();

    const again = await processOcrResults(p.processDeps, page.resultsBody);
    expect(again.receipts.map((r) => r.receipt_id)).toEqual([2]);
    expect((await p.receipts.list(page.image_id)).map((d) => d.receipt.receipt_id)).toEqual([2]);
    const report = await recoverUnfinishedWork(recoveryDeps(p), { now: p.clock.now() + 1, olderThanMs: 0 });
    expect(report.results).toEqual([]);

    expect(await deleteReceipt(changeDeps(p), OWNER, page.image_id, 2)).toEqual({
      deleted: true,
      image_deleted: true,
    });
    expect(await p.raw.head(image.s3_key)).toBeNull();
    expect(await p.jobs.getImage(page.image_id)).toBeNull();
  });

  it('a receipt deleted while its OCR results are processed is removed again, not left behind', async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    // The delete ran between the results step's tombstone check and its create: the tombstone
    // is there, the rows are not yet; the redelivery is that late create.
    await p.receipts.putTombstone({
      image_id: a.image_id,
      receipt_id: 1,
      owner: OWNER,
      deleted_at: new Date(p.clock.now()).toISOString(),
    });
    await p.receipts.delete(a.image_id, 1);
    const receipts = p.processDeps.receipts;
    let checks = 0;
    const lateDelete = {
      ...p.processDeps,
      receipts: Object.assign(Object.create(receipts) as typeof receipts, {
        // The first check (before anything is read) and the one before the create miss it.
        getTombstone: async (imageId: string, receiptId: number) =>
          ++checks <= 2 ? null : receipts.getTombstone(imageId, receiptId),
      }),
    };
    const outcome = await processOcrResults(lateDelete, a.resultsBody);
    expect(outcome.receipts).toEqual([]);
    expect(checks).toBe(3);
    expect(await p.receipts.get(a.image_id, 1)).toBeNull();
    expect(await p.runs.list(a.image_id, 1)).toEqual([]);
  });
});

describe('duplicate uploads', () => {
  it('the same bytes again return the existing image with duplicate: true, and store or queue nothing', async () => {
    const p = pipeline();
    const body = distinctPng(101);
    const first = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body });
    expect(first.duplicate).toBeUndefined();
    expect((await p.jobs.getImage(first.image_id))?.sha256).toMatch(/^[0-9a-f]{64}$/);

    const again = await submitJob(p.submitDeps, { filename: 'other-name.png', contentType: 'image/png', body });
    expect(again).toEqual({
      image_id: first.image_id,
      job_id: first.job_id,
      s3_key: first.s3_key,
      upload: null,
      duplicate: true,
    });
    expect(await p.raw.list('raw/')).toEqual([first.s3_key]);
    expect((await p.ocrQueue.depth()).visible).toBe(1);
    expect(await p.jobs.listJobsByStatus('PENDING')).toHaveLength(1);

    // Other bytes, or another owner's upload of the same bytes, are new images.
    const other = await submitJob(p.submitDeps, {
      filename: 'a.png',
      contentType: 'image/png',
      body: distinctPng(102),
    });
    const bobs = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body, owner: 'bob' });
    expect(new Set([first.image_id, other.image_id, bobs.image_id]).size).toBe(3);
    expect(other.duplicate).toBeUndefined();
    expect(bobs.duplicate).toBeUndefined();
  });

  it('two concurrent uploads of the same bytes make one image', async () => {
    const p = pipeline();
    const body = distinctPng(103);
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        submitJob(p.submitDeps, { filename: `r${i}.png`, contentType: 'image/png', body }),
      ),
    );
    expect(new Set(results.map((r) => r.image_id)).size).toBe(1);
    expect(new Set(results.map((r) => r.job_id)).size).toBe(1);
    expect(await p.raw.list('raw/')).toHaveLength(1);
    expect(await p.jobs.listJobsByStatus('PENDING')).toHaveLength(1);
    // Uploads that found the first one's rows not yet written wrote the same rows and may have
    // sent its OCR message again; every message names the one job (the worker's claim dedupes).
    const messages = await p.ocrQueue.receive({ maxMessages: 10 });
    expect(messages.length).toBeGreaterThanOrEqual(1);
    expect(new Set(messages.map((m) => (JSON.parse(m.body) as { job_id: string }).job_id))).toEqual(
      new Set([results[0]!.job_id]),
    );
  });

  it('after its last receipt is deleted, the same bytes are a new upload again', async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const { body } = await p.raw.get((await p.jobs.getImage(a.image_id))!.s3_key);
    await deleteReceipt(changeDeps(p), OWNER, a.image_id, 1);
    const again = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body });
    expect(again.duplicate).toBeUndefined();
    expect(again.image_id).not.toBe(a.image_id);
  });

  it('an upload that died after claiming its bytes is finished, under its own ids, by the next upload of them', async () => {
    const p = pipeline();
    const body = distinctPng(104);
    // The first upload claims the bytes and dies before its image row (a killed server).
    const dies = { ...p.submitDeps, jobs: Object.create(p.jobs) as typeof p.jobs };
    dies.jobs.createImage = async () => {
      throw new Error('process killed');
    };
    await expect(submitJob(dies, { filename: 'first.png', contentType: 'image/png', body })).rejects.toThrow('killed');

    // The client retries: the retry completes the first upload's image and job, no second image.
    const retry = await submitJob(p.submitDeps, { filename: 'retry.png', contentType: 'image/png', body });
    expect(retry.duplicate).toBeUndefined();
    const image = await p.jobs.getImage(retry.image_id);
    expect(image).toMatchObject({ filename: 'first.png', upload_state: 'UPLOADED' });
    expect(await p.jobs.getJob(retry.job_id)).toMatchObject({ status: 'PENDING', image_id: retry.image_id });
    expect(await p.raw.list('raw/')).toEqual([retry.s3_key]);
    expect((await p.ocrQueue.depth()).visible).toBe(1);
    // And from then on the bytes are a plain duplicate.
    const third = await submitJob(p.submitDeps, { filename: 'again.png', contentType: 'image/png', body });
    expect(third).toMatchObject({ image_id: retry.image_id, duplicate: true });
    expect((await p.ocrQueue.depth()).visible).toBe(1);
  });

  it('an upload that died after its image row but before its job is finished the same way', async () => {
    const p = pipeline();
    const body = distinctPng(105);
    const dies = { ...p.submitDeps, jobs: Object.create(p.jobs) as typeof p.jobs };
    dies.jobs.createJob = async () => {
      throw new Error('process killed');
    };
    await expect(submitJob(dies, { filename: 'a.png', contentType: 'image/png', body, owner: OWNER })).rejects.toThrow(
      'killed',
    );
    const retry = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body, owner: OWNER });
    expect(await p.jobs.getJob(retry.job_id)).toMatchObject({ status: 'PENDING' });
    expect(await p.jobs.listJobsForImage(retry.image_id)).toHaveLength(1);
    expect((await p.ocrQueue.depth()).visible).toBe(1);
  });

  it('a presigned upload of bytes the owner has is marked duplicate at confirm: its work is dropped', async () => {
    const p = pipeline();
    const first = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body: PNG_BYTES });
    const second = await submitJob(p.submitDeps, { filename: 'b.png', contentType: 'image/png', maxBytes: 4096 });
    await p.raw.put(second.s3_key, PNG_BYTES, { contentType: 'image/png' });
    const depth = (await p.ocrQueue.depth()).visible;

    const answer = { job_id: first.job_id, image_id: first.image_id, enqueued: false, duplicate: true };
    expect(await confirmUpload(p.submitDeps, { image_id: second.image_id })).toEqual(answer);
    expect((await p.ocrQueue.depth()).visible).toBe(depth);
    expect(await p.raw.head(second.s3_key)).toBeNull();
    expect(await p.jobs.getJob(second.job_id)).toMatchObject({
      status: 'FAILED',
      failure_reason: `duplicate of image ${first.image_id}`,
    });
    // Asked again (a client retry): the same answer, nothing more done.
    expect(await confirmUpload(p.submitDeps, { image_id: second.image_id })).toEqual(answer);
    expect((await p.ocrQueue.depth()).visible).toBe(depth);

    // The sweep never sends the dropped job.
    const report = await recoverUnfinishedWork(recoveryDeps(p), { now: p.clock.now() + 1, olderThanMs: 0 });
    expect(report.ocr).not.toContain(second.job_id);
  });

  it('a presigned upload of new bytes records their hash, so a later direct upload of them is a duplicate', async () => {
    const p = pipeline();
    const r = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', maxBytes: 4096 });
    await p.raw.put(r.s3_key, PNG_BYTES, { contentType: 'image/png' });
    expect(await confirmUpload(p.submitDeps, { image_id: r.image_id })).toMatchObject({ enqueued: true });
    expect((await p.jobs.getImage(r.image_id))?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const direct = await submitJob(p.submitDeps, { filename: 'a.png', contentType: 'image/png', body: PNG_BYTES });
    expect(direct).toMatchObject({ image_id: r.image_id, duplicate: true });
  });
});

describe('possible_duplicate_of', () => {
  it('flags a receipt whose merchant, date and total equal an earlier one, and keeps both', async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const b = await p.ingest(specLines(DEMO[0]!.spec)); // the same receipt photographed again
    const c = await p.ingest(specLines(DEMO[4]!.spec)); // the same shop, another day and total
    const stored = await Promise.all([a, b, c].map((r) => p.receipts.get(r.image_id, 1)));
    expect(stored.every((d) => d !== null)).toBe(true);
    expect(stored[0]!.receipt.possible_duplicate_of).toBeUndefined();
    expect(stored[1]!.receipt.possible_duplicate_of).toEqual({ image_id: a.image_id, receipt_id: 1 });
    expect(stored[2]!.receipt.possible_duplicate_of).toBeUndefined();

    // A redelivery of the first does not flag it against itself, nor the second anew.
    await processOcrResults(p.processDeps, a.resultsBody);
    await processOcrResults(p.processDeps, b.resultsBody);
    expect((await p.receipts.get(a.image_id, 1))!.receipt.possible_duplicate_of).toBeUndefined();
    expect((await p.receipts.get(b.image_id, 1))!.receipt.possible_duplicate_of).toEqual({
      image_id: a.image_id,
      receipt_id: 1,
    });
  });

  it('a correction re-evaluates the flag: a changed total clears it, and deleting the first frees its values', async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const b = await p.ingest(specLines(DEMO[0]!.spec));
    const corrected = await correctReceipt(changeDeps(p), OWNER, b.image_id, 1, { fields: { total: { minor: 1 } } });
    expect(corrected.receipt.possible_duplicate_of).toBeUndefined();
    expect((await p.receipts.get(b.image_id, 1))!.receipt.possible_duplicate_of).toBeUndefined();

    await deleteReceipt(changeDeps(p), OWNER, a.image_id, 1);
    const c = await p.ingest(specLines(DEMO[0]!.spec));
    expect((await p.receipts.get(c.image_id, 1))!.receipt.possible_duplicate_of).toBeUndefined();
  });

  it("another owner's equal receipt is not a duplicate", async () => {
    const p = pipeline();
    await p.ingest(specLines(DEMO[0]!.spec));
    const bobs = await p.ingest(specLines(DEMO[0]!.spec), 'receipt.png', { owner: 'bob' });
    const stored = await p.receipts.get(bobs.image_id, 1);
    expect(stored!.receipt.possible_duplicate_of).toBeUndefined();
  });
});

describe('ReceiptStore tombstones keep the first deletion', () => {
  it('putTombstone twice keeps the first; delete leaves it', async () => {
    const p = pipeline();
    const details = makeReceiptDetails();
    await p.receipts.create(details);
    const first = {
      image_id: details.receipt.image_id,
      receipt_id: 1,
      owner: 'a',
      deleted_at: '2024-01-01T00:00:00.000Z',
    };
    await p.receipts.putTombstone(first);
    await p.receipts.putTombstone({ ...first, deleted_at: '2024-02-01T00:00:00.000Z' });
    await p.receipts.delete(details.receipt.image_id, 1);
    expect(await p.receipts.getTombstone(details.receipt.image_id, 1)).toEqual(first);
  });
});

describe('a correction racing the results step', () => {
  it("a merchant corrected while Places is being asked is kept: the resolution never replaces the user's place", async () => {
    const p = pipeline();
    await p.ingest(specLines(DEMO[1]!.spec)); // makes DEMO[1]'s place known
    const submitted = await submitJob(p.submitDeps, {
      filename: 'r.png',
      contentType: 'image/png',
      body: distinctPng(900),
    });
    p.ocr.next = ocrDocument(specLines(DEMO[0]!.spec));
    await runOcrJob(p.ocrDeps, { job_id: submitted.job_id, image_id: submitted.image_id });
    const [message] = await p.resultsQueue.receive({ maxMessages: 1 });

    let corrected = false;
    const places = p.processDeps.places;
    const correctingFirst = async () => {
      if (!corrected) {
        corrected = true;
        await correctReceipt(changeDeps(p), OWNER, submitted.image_id, 1, {
          merchant: { place_id: DEMO[1]!.truth.place_id },
        });
      }
    };
    const racing = {
      ...p.processDeps,
      places: {
        findByPhone: async (phone: string) => (await correctingFirst(), places.findByPhone(phone)),
        searchText: async (query: string) => (await correctingFirst(), places.searchText(query)),
        getPlace: (placeId: string) => places.getPlace(placeId),
      },
    };
    const outcome = await processOcrResults(racing, message!.body);
    expect(corrected).toBe(true);
    expect(outcome.receipts[0]!.place).toMatchObject({ source: 'user', place_id: DEMO[1]!.truth.place_id });
    expect(await p.receipts.getPlace(submitted.image_id, 1)).toMatchObject({
      source: 'user',
      place_id: DEMO[1]!.truth.place_id,
    });
    // Compaction merges the run with the place as stored: the user's.
    expect((await p.compactAll()).failed).toEqual([]);
    const vectors = await vectorsOf(p, submitted.image_id);
    expect(vectors.length).toBeGreaterThan(0);
    expect(vectors.every((v) => v.metadata.place_id === DEMO[1]!.truth.place_id)).toBe(true);
  });
});
