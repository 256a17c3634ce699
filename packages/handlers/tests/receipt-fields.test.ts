import { demoReceipts, type DemoReceipt } from '@receiptflow/adapters-local/synthetic';
import type { ReceiptDetails, ReceiptFields } from '@receiptflow/core';
import { describe, expect, it } from 'vitest';
import { bodyOf, httpEvent, specLines, sqsEvent } from './support/fixtures.js';
import { localPipeline, type LocalPipeline } from './support/local-pipeline.js';

/** Uploads a synthetic receipt and runs OCR; returns its image id and the ocr-results-queue body. */
async function ocrDone(p: LocalPipeline, receipt: DemoReceipt, tag: string) {
  const bytes = p.ocr.register(tag, specLines(receipt.spec));
  const { image_id } = bodyOf<{ image_id: string }>(
    await p.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes })),
  );
  await p.runOcr();
  const [message] = await p.adapters.resultsQueue.receive({ maxMessages: 1 });
  await message!.ack();
  return { image_id, body: message!.body };
}

async function storedReceipt(p: LocalPipeline, imageId: string): Promise<ReceiptDetails> {
  const [details] = await p.adapters.receipts.list(imageId);
  expect(details, imageId).toBeDefined();
  return details!;
}

/** "03/14/2024" (how the demo receipts print dates) as ISO. */
const isoOfUsDate = (date: string) => {
  const [m, d, y] = date.split('/');
  return `${y}-${m}-${d}`;
};
const cents = (dollars: number) => Math.round(dollars * 100);

/** Every line a field names exists on the receipt, and holds the text the field says was printed. */
function expectProvenance(details: ReceiptDetails) {
  const byId = new Map(details.lines.map((l) => [l.line_id, l.text]));
  const fields = details.receipt.fields!;
  const named = [fields.date, fields.total, fields.subtotal, fields.tax, fields.payment_method].filter(
    (f) => f !== null,
  );
  for (const field of named) {
    expect(field.line_ids.length).toBeGreaterThan(0);
    for (const id of field.line_ids) expect(byId.has(id), `line ${id}`).toBe(true);
    expect(field.line_ids.map((id) => byId.get(id)).join('\n')).toContain(field.text);
  }
  for (const item of fields.line_items) {
    for (const id of item.line_ids) expect(byId.has(id), `line ${id}`).toBe(true);
    expect(item.line_ids.map((id) => byId.get(id)).join('\n')).toContain(item.description);
  }
}

describe('receipt fields through the local pipeline', () => {
  it('stores date, total and line items matching each synthetic receipt’s truth, naming real lines', async () => {
    const p = await localPipeline();
    const receipts = [...demoReceipts(1), ...demoReceipts(7)];
    const images: string[] = [];
    for (const [n, receipt] of receipts.entries()) {
      const { image_id, body } = await ocrDone(p, receipt, `f${n}`);
      expect((await p.results(sqsEvent([body]))).batchItemFailures).toEqual([]);
      images.push(image_id);
    }
    for (const [n, receipt] of receipts.entries()) {
      const details = await storedReceipt(p, images[n]!);
      const fields = details.receipt.fields;
      expect(fields, receipt.id).toBeDefined();
      expect(fields!.date, receipt.id).toMatchObject({
        value: isoOfUsDate(receipt.truth.date),
        text: receipt.truth.date,
        source: 'extracted',
      });
      expect(fields!.total, receipt.id).toMatchObject({
        minor: cents(receipt.truth.total),
        currency: 'USD',
        source: 'extracted',
      });
      expect(
        fields!.line_items.map((i) => [i.description, i.amount.minor]),
        receipt.id,
      ).toEqual(receipt.spec.items.map((i) => [i.name, cents(i.price)]));
      expect(fields!.payment_method).toBeNull();
      expectProvenance(details);
    }
  });

  it('a redelivery fills in the fields of a receipt stored without them, and keeps a user’s correction', async () => {
    const p = await localPipeline();
    const receipt = demoReceipts(3)[0]!;
    const { image_id, body } = await ocrDone(p, receipt, 'old');
    await p.results(sqsEvent([body]));
    const first = await storedReceipt(p, image_id);
    const extracted = first.receipt.fields!;
    expect(extracted.total?.minor).toBe(cents(receipt.truth.total));

    // The receipt row as it was stored before fields existed.
    const { fields: _dropped, ...withoutFields } = first.receipt;
    await p.adapters.table.commit([p.adapters.table.put('RECEIPT', withoutFields)]);
    expect((await storedReceipt(p, image_id)).receipt).not.toHaveProperty('fields');
    expect((await p.results(sqsEvent([body]))).batchItemFailures).toEqual([]);
    expect((await storedReceipt(p, image_id)).receipt.fields).toEqual(extracted);

    // A person's correction survives reprocessing; the extracted fields are extracted again.
    const corrected: ReceiptFields = {
      ...extracted,
      date: { value: '2020-01-01', text: '', line_ids: [], source: 'user' },
      total: { ...extracted.total!, minor: 1 },
    };
    await p.adapters.receipts.putFields(image_id, 1, corrected);
    expect((await p.results(sqsEvent([body]))).batchItemFailures).toEqual([]);
    const after = (await storedReceipt(p, image_id)).receipt.fields!;
    expect(after.date).toEqual(corrected.date);
    expect(after.total).toEqual(extracted.total);
  });
});
