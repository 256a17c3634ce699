import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoReceipts, renderReceipt, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { evalCommand, type EvalJson } from '../src/cli/commands/eval.js';

/** Three synthetic receipts in the SROIE layout (ID.png + ID.json), the third a repeat visit. */
describe('receipts eval on synthetic receipts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eval-'));
    const visits = demoReceipts(3);
    const picked = [
      visits[0]!,
      visits[1]!,
      visits.find((v, i) => i > 1 && v.truth.place_id === visits[0]!.truth.place_id)!,
    ];
    for (const [n, r] of picked.entries()) {
      await writeFile(join(dir, `00${n}.png`), (await renderReceipt(r.spec)).png);
      await writeFile(
        join(dir, `00${n}.json`),
        JSON.stringify({
          company: r.truth.merchant_name,
          date: r.truth.date,
          address: r.truth.formatted_address,
          total: r.truth.total.toFixed(2),
          place_id: r.truth.place_id,
        }),
      );
    }
    await writeFile(join(dir, 'catalog.json'), JSON.stringify(syntheticCatalog()));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('--json lists each receipt with its prediction, source and calls, per-field P/R/F1 and confidence bands; progress only on stderr', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await evalCommand(
      ['--dataset', dir, '--places', join(dir, 'catalog.json'), '--json', '--ocr-cache', join(dir, 'ocr')],
      (l) => out.push(l),
      (l) => err.push(l),
    );
    expect(code).toBe(0);
    const report = JSON.parse(out.join('')) as EvalJson;
    expect(report.per_receipt.map((r) => r.id)).toEqual(['000', '001', '002']);
    expect(report.merchant_accuracy).toBe(1);
    expect(report.per_receipt[2]).toMatchObject({ source: 'vector', places_calls: 0, correct: true });
    expect(report.places_calls).toBe(report.per_receipt.reduce((n, r) => n + r.places_calls, 0));
    expect(Object.keys(report.fields)).toEqual(['company', 'date', 'address', 'total']);
    expect(report.fields.total!.f1).toBeGreaterThan(0);
    expect(report.confidence_bands.reduce((n, b) => n + b.answers, 0)).toBe(report.answers);
    expect(err.every((l) => /^\[\d+\/3\] \d{3} /.test(l))).toBe(true);
  }, 180_000); // real tesseract on three images: seconds alone, longer on a loaded machine
});
