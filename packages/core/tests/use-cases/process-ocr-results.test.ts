import { describe, expect, it } from 'vitest';
import {
  MAX_TEXT_CHARS,
  PoisonMessageError,
  deltaKey,
  lineEmbeddingText,
  processOcrResults,
  readVectorDelta,
  wordEmbeddingText,
  type Embedder,
  type VectorRecord,
} from '@receiptflow/core';
import { demoReceipts, ocrDocument, pipeline, specLines } from './harness.js';

const [first] = demoReceipts(1);
const LINES = specLines(first!.spec);

describe('processOcrResults with local adapters', () => {
  it('builds the receipt, resolves the merchant via Places, writes validated deltas and a run', async () => {
    const p = pipeline();
    const r = await p.ingest(LINES);
    const [receipt] = r.processed.receipts;
    expect(receipt).toMatchObject({ receipt_id: 1, line_count: LINES.length });
    expect(receipt!.place).toMatchObject({ place_id: first!.truth.place_id, source: 'places' });
    expect(receipt!.embedding_tokens).toBeGreaterThan(0);

    const stored = await p.receipts.get(r.image_id, 1);
    expect(stored!.lines.map((l) => l.text)).toEqual(LINES);
    expect(stored!.lines.map((l) => l.line_id)).toEqual(LINES.map((_, i) => i + 1));
    expect(stored!.words.filter((w) => w.line_id === 1).map((w) => w.word_id)).toEqual([1, 2, 3]);

    const run = await p.runs.get({ image_id: r.image_id, receipt_id: 1, run_id: receipt!.run_id });
    expect(run).toMatchObject({ lines: { state: 'PENDING', vector_count: LINES.length }, words: { state: 'PENDING' } });
    const delta = { records: [] as VectorRecord[] };
    await readVectorDelta((await p.deltas.getStream(deltaKey('lines', receipt!.run_id))).body, {
      onRecord: (record) => delta.records.push(record),
    });
    expect(delta.records[0]!.metadata).toMatchObject({
      image_id: r.image_id,
      receipt_id: 1,
      line_id: 1,
      text: LINES[0],
      merchant_name: first!.truth.merchant_name,
      place_id: first!.truth.place_id,
      has_place: true,
      is_name: true,
    });
    const phoneLine = delta.records.find((rec) => rec.metadata.has_phone === true);
    expect(phoneLine?.document).toMatch(/^TEL/);
    expect(await p.receipts.getPlace(r.image_id, 1)).toMatchObject({ place_id: first!.truth.place_id });
  });

  // docs/lessons.md#lesson-6-a-redelivery-overwrote-enriched-rows
  it('the same message twice yields the same rows, deltas and run, and no second embedding', async () => {
    const p = pipeline();
    const r = await p.ingest(LINES);
    const rowsBefore = await p.receipts.get(r.image_id, 1);
    const deltaBefore = (await p.deltas.get(deltaKey('words', r.processed.receipts[0]!.run_id))).body;
    // Enrich a row as a later step would; the redelivery must not overwrite it.
    await p.receipts.putPlace({ ...(await p.receipts.getPlace(r.image_id, 1))!, merchant_name: 'CORRECTED BY HAND' });
    const again = await processOcrResults(p.processDeps, r.resultsBody);
    expect(again.receipts[0]!.run_id).toBe(r.processed.receipts[0]!.run_id);
    expect(again.receipts[0]!.embedding_tokens).toBe(0);
    expect(await p.receipts.get(r.image_id, 1)).toEqual(rowsBefore);
    expect((await p.receipts.getPlace(r.image_id, 1))?.merchant_name).toBe('CORRECTED BY HAND');
    expect((await p.deltas.get(deltaKey('words', r.processed.receipts[0]!.run_id))).body).toEqual(deltaBefore);
    expect(await p.runs.list(r.image_id, 1)).toHaveLength(1);
  });

  // issue 20, item 6: the merchant is resolved on the signature lines first, and the receipt's
  // embedding reuses them; each stored vector must still be the one of its own text.
  it("each text is embedded once, signature lines first, and every delta vector is its own text's", async () => {
    const p = pipeline();
    const sent: string[][] = [];
    const inner = p.processDeps.embedder;
    const counting: Embedder = {
      model: inner.model,
      dimensions: inner.dimensions,
      embed: async (texts) => (sent.push([...texts]), inner.embed(texts)),
    };
    p.processDeps.embedder = counting;
    const r = await p.ingest(LINES);
    const stored = (await p.receipts.get(r.image_id, 1))!;
    expect(sent.length).toBe(2);
    expect(sent[0]!.length).toBeLessThanOrEqual(8); // memory's signature lines, before any Places call
    const all = sent.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(stored.lines.length + stored.words.length);

    const runId = r.processed.receipts[0]!.run_id;
    const recordsOf = async (collection: 'lines' | 'words') => {
      const records: VectorRecord[] = [];
      await readVectorDelta((await p.deltas.getStream(deltaKey(collection, runId))).body, {
        onRecord: (record) => records.push(record),
      });
      return records;
    };
    // Deltas hold float32: compare with what float32 makes of the expected vector.
    const f32 = (v: readonly number[] | undefined) => Array.from(Float32Array.from(v ?? []));
    const lines = await recordsOf('lines');
    const texts = stored.lines.map((l) => l.text);
    for (const record of lines) {
      const i = stored.lines.findIndex((l) => l.line_id === record.metadata.line_id);
      const [expected] = (await inner.embed([lineEmbeddingText(texts, i)])).vectors;
      expect(f32(record.vector), `line ${i}`).toEqual(f32(expected));
    }
    const words = await recordsOf('words');
    const first = words[0]!;
    const line = stored.lines.find((l) => l.line_id === first.metadata.line_id)!;
    const lineWords = stored.words.filter((w) => w.line_id === line.line_id).map((w) => w.text);
    const [wordVector] = (await inner.embed([wordEmbeddingText(lineWords, 0, line.text)])).vectors;
    expect(f32(first.vector)).toEqual(f32(wordVector));
  });

  // docs/lessons.md#lesson-8-empty-batches-polled-forever, docs/lessons.md#lesson-10-one-bad-record-failed-a-whole-run
  it('1 bad word among 100: 99 ingested, 1 reported', async () => {
    const p = pipeline();
    const lines = Array.from({ length: 25 }, (_, i) => `ITEM${i} A${i} B${i} ${i}.99`);
    const doc = ocrDocument(lines);
    expect(doc.lines.flatMap((l) => l.words)).toHaveLength(100);
    doc.lines[7]!.words[2]!.text = '   ';
    const r = await p.ingest(doc);
    expect(r.processed.receipts[0]!.word_count).toBe(99);
    expect(r.processed.skipped).toEqual([
      { what: 'ocr line 7 word 2', reason: expect.stringMatching(/no usable text/) },
    ]);
    const stored = await p.receipts.get(r.image_id, 1);
    expect(stored!.words).toHaveLength(99);
    expect(stored!.lines[7]!.text).toBe('ITEM7 A7 7.99');
    const run = await p.runs.get({ image_id: r.image_id, receipt_id: 1, run_id: r.processed.receipts[0]!.run_id });
    expect(run?.words.vector_count).toBe(99);
  });

  it('an invalid word (confidence out of range) is skipped too, not fatal', async () => {
    const p = pipeline();
    const doc = ocrDocument(LINES);
    (doc.lines[0]!.words[0] as { confidence: number }).confidence = 7;
    const r = await p.ingest(doc);
    expect(r.processed.skipped).toHaveLength(1);
    expect(r.processed.receipts).toHaveLength(1);
  });

  it('a results message for an image with no text (sent before OCR failed such jobs) yields no receipt and no run', async () => {
    const p = pipeline();
    // The OCR step now ends a no-text job FAILED and sends nothing; a message from before that
    // (or from an older worker) must still settle quietly.
    const r = await p.ingest(LINES);
    const message = JSON.parse(r.resultsBody) as { image_id: string; s3_key: string };
    const emptyKey = message.s3_key.replace('.json', '-empty.json');
    await p.artifacts.put(emptyKey, new TextEncoder().encode(JSON.stringify(ocrDocument([]))));
    await p.receipts.delete(r.image_id, 1);
    const out = await processOcrResults(
      p.processDeps,
      JSON.stringify({ ...message, s3_key: emptyKey, receipt_count: 0 }),
    );
    expect(out.receipts).toEqual([]);
    expect(await p.receipts.list(r.image_id)).toEqual([]);
  });

  it('an image deleted meanwhile settles with no receipts and writes nothing', async () => {
    const p = pipeline();
    const r = await p.ingest(LINES);
    const p2 = pipeline();
    // Same message against a store that never had this image: the image/job is gone.
    await p2.artifacts.put(
      JSON.parse(r.resultsBody).s3_key,
      (await p.artifacts.get(JSON.parse(r.resultsBody).s3_key)).body,
    );
    const out = await processOcrResults(p2.processDeps, r.resultsBody);
    expect(out.receipts).toEqual([]);
    expect(await p2.receipts.list(r.image_id)).toEqual([]);
    expect(await p2.deltas.list('deltas/')).toEqual([]);
  });

  it('a malformed message or missing document is poison', async () => {
    const p = pipeline();
    await expect(processOcrResults(p.processDeps, '{')).rejects.toThrow(PoisonMessageError);
    const r = await p.ingest(LINES);
    const body = JSON.parse(r.resultsBody);
    await expect(processOcrResults(p.processDeps, { ...body, s3_key: 'ocr/none.json' })).rejects.toThrow(
      /does not exist/,
    );
  });
});

// issue 20, item 7: one OCR line over 400 KB failed its item, then its chunk, then the message.
describe('processOcrResults with text longer than MAX_TEXT_CHARS', () => {
  it('stores a 450,000-character line and word cut to the limit, flagged and reported; the rest untouched', async () => {
    const p = pipeline();
    const doc = ocrDocument(LINES);
    const huge = 'X'.repeat(450_000);
    doc.lines[1]!.words[0]!.text = huge;
    const r = await p.ingest(doc);

    const stored = await p.receipts.get(r.image_id, 1);
    const line = stored!.lines.find((l) => l.text.startsWith('XXX'))!;
    expect(line.text.length).toBe(MAX_TEXT_CHARS);
    expect(line.text_truncated).toBe(true);
    const word = stored!.words.find((w) => w.line_id === line.line_id && w.word_id === 1)!;
    expect(word.text).toBe('X'.repeat(MAX_TEXT_CHARS));
    expect(word.text_truncated).toBe(true);
    expect(r.processed.skipped).toEqual([
      {
        what: `receipt 1 line ${line.line_id}`,
        reason: expect.stringMatching(/text of 45\d{4} characters cut to 2000/),
      },
      { what: `receipt 1 line ${line.line_id} word 1`, reason: expect.stringMatching(/450000 characters cut to 2000/) },
    ]);
    // Every other line is stored as printed, with no flag.
    const others = stored!.lines.filter((l) => l !== line);
    expect(others).toHaveLength(LINES.length - 1);
    expect(others.every((l) => l.text_truncated === undefined && l.text.length < 200)).toBe(true);
    // The receipt still resolved and got its run.
    expect(r.processed.receipts[0]!.place.place_id).toBe(first!.truth.place_id);
    expect(await p.runs.list(r.image_id, 1)).toHaveLength(1);
  });

  it('never cuts a character in half', async () => {
    const p = pipeline();
    const doc = ocrDocument(LINES);
    // 1,999 ASCII characters then emoji: the 2,000th UTF-16 unit is half of the first emoji.
    doc.lines[2]!.words = [{ ...doc.lines[2]!.words[0]!, text: `${'a'.repeat(MAX_TEXT_CHARS - 1)}${'😀'.repeat(10)}` }];
    const r = await p.ingest(doc);
    const stored = await p.receipts.get(r.image_id, 1);
    const cut = stored!.lines.find((l) => l.text_truncated)!;
    expect(cut.text).toBe('a'.repeat(MAX_TEXT_CHARS - 1));
  });
});
