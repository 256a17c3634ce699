import { describe, expect, it } from 'vitest';
import { inspectImage } from '@receiptflow/core';
import {
  demoReceipts,
  renderReceipt,
  renderReceiptPage,
  SYNTHETIC_MERCHANTS,
  syntheticCatalog,
} from '../src/synthetic/index.js';

describe('renderReceipt', () => {
  it('renders a PNG whose header size matches the reported size, growing with the items', async () => {
    const spec = demoReceipts(1)[0]!.spec;
    const short = await renderReceipt({ ...spec, items: spec.items.slice(0, 1) });
    const long = await renderReceipt({ ...spec, items: [...spec.items, ...spec.items] });
    for (const receipt of [short, long]) {
      expect(inspectImage(receipt.png)).toEqual({
        contentType: 'image/png',
        width: receipt.width,
        height: receipt.height,
      });
    }
    expect(long.height).toBeGreaterThan(short.height);
  });

  it('draws ink: the page is not blank', async () => {
    const blank = await renderReceipt({
      merchant_name: '',
      address_lines: [],
      phone: '',
      date: '',
      items: [],
      total: 0,
    });
    const full = await renderReceipt(demoReceipts(1)[0]!.spec);
    // PNG compresses a white page to almost nothing; printed text costs bytes.
    expect(full.png.byteLength).toBeGreaterThan(blank.png.byteLength * 2);
  });
});

describe('renderReceiptPage', () => {
  const [a, b] = demoReceipts(1).map((d) => d.spec);

  it('lays receipts side by side with the gap between them, and reports where each landed', async () => {
    const one = await renderReceipt(a!);
    const page = await renderReceiptPage({ receipts: [{ spec: a! }, { spec: b!, drop: 30 }], gap: 50, margin: 20 });
    expect(inspectImage(page.png)).toEqual({ contentType: 'image/png', width: page.width, height: page.height });
    expect(page.width).toBe(20 * 2 + one.width * 2 + 50);
    expect(page.receipts.map((r) => r.center.x)).toEqual([20 + one.width / 2, 20 + one.width + 50 + one.width / 2]);
    expect(page.receipts[1]!.center.y - page.receipts[1]!.height / 2).toBe(20 + 30);
  });

  it('makes room for a turned receipt: its footprint grows with the angle', async () => {
    const straight = await renderReceiptPage({ receipts: [{ spec: a! }] });
    const turned = await renderReceiptPage({ receipts: [{ spec: a!, rotate_degrees: 10 }] });
    expect(turned.width).toBeGreaterThan(straight.width);
    expect(turned.height).toBeGreaterThan(straight.height);
    expect(turned.receipts[0]!.rotate_degrees).toBe(10);
  });

  it('refuses an empty page', async () => {
    await expect(renderReceiptPage({ receipts: [] })).rejects.toThrow(RangeError);
  });
});

describe('SYNTHETIC_MERCHANTS and syntheticCatalog', () => {
  const catalog = syntheticCatalog();

  it('has 6 to 8 distinct merchants with US-style phones', () => {
    expect(SYNTHETIC_MERCHANTS.length).toBeGreaterThanOrEqual(6);
    expect(SYNTHETIC_MERCHANTS.length).toBeLessThanOrEqual(8);
    expect(new Set(SYNTHETIC_MERCHANTS.map((m) => m.name)).size).toBe(SYNTHETIC_MERCHANTS.length);
    for (const m of SYNTHETIC_MERCHANTS) expect(m.phone).toMatch(/^\(\d{3}\) \d{3}-\d{4}$/);
  });

  it('lists every merchant plus decoys, with unique ids and unique phones', () => {
    expect(catalog.length).toBeGreaterThan(SYNTHETIC_MERCHANTS.length);
    for (const m of SYNTHETIC_MERCHANTS) expect(catalog.map((p) => p.place_id)).toContain(m.place_id);
    expect(new Set(catalog.map((p) => p.place_id)).size).toBe(catalog.length);
    expect(new Set(catalog.map((p) => p.phone)).size).toBe(catalog.length);
  });

  it('includes a decoy sharing a merchant name exactly, so a name-only match is ambiguous', () => {
    const names = catalog.map((p) => p.name);
    const twins = SYNTHETIC_MERCHANTS.filter((m) => names.filter((n) => n === m.name).length > 1);
    expect(twins.length).toBeGreaterThan(0);
  });

  it('returns a fresh array each time', () => {
    syntheticCatalog()[0]!.name = 'CHANGED';
    expect(syntheticCatalog()[0]!.name).not.toBe('CHANGED');
  });
});

describe('demoReceipts', () => {
  it('is deterministic per seed and varies between seeds', () => {
    expect(demoReceipts(7)).toEqual(demoReceipts(7));
    expect(demoReceipts(7)).not.toEqual(demoReceipts(8));
    expect(demoReceipts()).toEqual(demoReceipts(1));
  });

  it('covers several merchants, some visited twice, all in the catalog', () => {
    const receipts = demoReceipts(3);
    expect(receipts.length).toBeGreaterThanOrEqual(6);
    const visits = receipts.map((r) => r.truth.place_id);
    const distinct = new Set(visits);
    expect(distinct.size).toBeGreaterThanOrEqual(4);
    expect(distinct.size).toBeLessThan(visits.length);
    const catalogIds = syntheticCatalog().map((p) => p.place_id);
    for (const id of distinct) expect(catalogIds).toContain(id);
    expect(new Set(receipts.map((r) => r.id)).size).toBe(receipts.length);
  });

  it('prints a total equal to the sum of the printed prices, and truth matching the spec', () => {
    for (const { spec, truth } of demoReceipts(5)) {
      const cents = spec.items.reduce((sum, item) => sum + Math.round(item.price * 100), 0);
      expect(Math.round(spec.total * 100)).toBe(cents);
      expect(truth.total).toBe(spec.total);
      expect(truth.merchant_name).toBe(spec.merchant_name);
      expect(truth.phone).toBe(spec.phone);
      expect(truth.date).toBe(spec.date);
      expect(spec.date).toMatch(/^\d{2}\/\d{2}\/2024$/);
      expect(spec.items.length).toBeGreaterThan(0);
    }
  });
});
