import { describe, expect, it } from 'vitest';
import { compact } from '@receiptflow/core';
import { demoReceipts, pipeline, specLines } from './harness.js';

const DEMO = demoReceipts(1);

describe('pipeline lifecycle with local adapters', () => {
  it('a repeat merchant resolves from vector memory with zero Places calls once the first receipt is compacted', async () => {
    const p = pipeline();
    const first = await p.ingest(specLines(DEMO[0]!.spec));
    expect(first.processed.receipts[0]!.place).toMatchObject({ source: 'places', place_id: DEMO[0]!.truth.place_id });
    const compacted = await p.compactAll();
    expect(compacted.failed).toEqual([]);

    const callsBefore = p.catalogPlaces.calls;
    // DEMO[4] is the second visit to DEMO[0]'s merchant, with other items and date.
    expect(DEMO[4]!.truth.place_id).toBe(DEMO[0]!.truth.place_id);
    const second = await p.ingest(specLines(DEMO[4]!.spec));
    const place = second.processed.receipts[0]!.place;
    expect(place).toMatchObject({
      source: 'vector',
      place_id: DEMO[0]!.truth.place_id,
      merchant_name: DEMO[0]!.truth.merchant_name,
    });
    expect(place.evidence).toContain('memory');
    expect(p.catalogPlaces.calls).toBe(callsBefore);
  });

  it('every demo receipt resolves to its merchant; repeats come from memory', async () => {
    const p = pipeline();
    const seen = new Set<string>();
    for (const demo of DEMO) {
      const callsBefore = p.catalogPlaces.calls;
      const r = await p.ingest(specLines(demo.spec));
      const place = r.processed.receipts[0]!.place;
      expect(place.place_id).toBe(demo.truth.place_id);
      if (seen.has(demo.truth.place_id)) {
        expect(place.source).toBe('vector');
        expect(p.catalogPlaces.calls).toBe(callsBefore);
      } else {
        expect(place.source).toBe('places');
      }
      seen.add(demo.truth.place_id);
      expect((await p.compactAll()).failed).toEqual([]);
    }
  });

  it('without a phone on the receipt, matching name and address lines decide from memory', async () => {
    const p = pipeline();
    await p.ingest(specLines(DEMO[0]!.spec));
    await p.compactAll();
    const noPhone = specLines(DEMO[4]!.spec).filter((l) => !l.startsWith('TEL'));
    const callsBefore = p.catalogPlaces.calls;
    const r = await p.ingest(noPhone);
    expect(r.processed.receipts[0]!.place).toMatchObject({ source: 'vector', place_id: DEMO[0]!.truth.place_id });
    expect(p.catalogPlaces.calls).toBe(callsBefore);
  });

  it('a neighbour on the same street is not taken from memory (street number and phone differ)', async () => {
    const p = pipeline();
    await p.ingest(specLines(DEMO[0]!.spec));
    await p.compactAll();
    const r = await p.ingest([
      'HARBOR LANE MARKET',
      '1500 HARBOR LANE',
      'OAKLAND, CA 94607',
      'TEL (510) 555-0199',
      'DATE 02/02/2024',
      'MILK 4.49',
      'TOTAL 4.49',
      'THANK YOU',
    ]);
    expect(r.processed.receipts[0]!.place).toMatchObject({
      source: 'places',
      place_id: 'syn-harbor-lane-market-oakland',
    });
  });

  // docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant
  it('a chain branch is not taken from memory: another branch needs Places', async () => {
    const p = pipeline();
    await p.ingest([
      'SUNRISE PHARMACY 214',
      '640 LAKEVIEW BLVD',
      'MADISON, WI 53703',
      'TEL (608) 555-0163',
      'DATE 01/02/2024',
      'VITAMIN C 9.99',
      'TOTAL 9.99',
      'THANK YOU',
    ]);
    await p.compactAll();
    const other = await p.ingest([
      'SUNRISE PHARMACY 215',
      '12 CAPITOL SQUARE',
      'MADISON, WI 53703',
      'TEL (608) 555-0191',
      'DATE 01/03/2024',
      'SUNSCREEN 10.49',
      'TOTAL 10.49',
      'THANK YOU',
    ]);
    expect(other.processed.receipts[0]!.place).toMatchObject({
      source: 'places',
      place_id: 'syn-sunrise-pharmacy-215-madison',
    });
  });

  it('an unknown merchant resolves to none, with the printed name and no place', async () => {
    const p = pipeline();
    const r = await p.ingest([
      'NOWHERE DINER',
      '77 NOPE ROAD',
      'NOWHERE, ZZ 00000',
      'TEL (999) 555-0000',
      'TOTAL 1.00',
    ]);
    expect(r.processed.receipts[0]!.place).toMatchObject({
      source: 'none',
      place_id: null,
      merchant_name: 'NOWHERE DINER',
      confidence: 0,
    });
  });

  // docs/lessons.md#lesson-16-stream-events-that-should-do-nothing-did-a-lot
  it('stream changes after a compaction (run MODIFY) produce no work', async () => {
    const p = pipeline();
    await p.ingest(specLines(DEMO[1]!.spec));
    await p.compactAll();
    const afterwards = p.drainRouted();
    expect(afterwards).toEqual([]);
  });

  // docs/lessons.md#lesson-16-stream-events-that-should-do-nothing-did-a-lot
  it('deleting a receipt and compacting leaves no rows and no vectors behind', async () => {
    const p = pipeline();
    const r = await p.ingest(specLines(DEMO[2]!.spec));
    await p.compactAll();
    const where = { image_id: r.image_id, receipt_id: 1 };
    expect((await p.vectors.findIds('lines', where)).length).toBeGreaterThan(0);
    await p.receipts.delete(r.image_id, 1);
    const out = await p.compactAll();
    expect(out.failed).toEqual([]);
    expect(await p.vectors.findIds('lines', where)).toEqual([]);
    expect(await p.vectors.findIds('words', where)).toEqual([]);
    expect(await p.receipts.get(r.image_id, 1)).toBeNull();
    expect(await p.receipts.getPlace(r.image_id, 1)).toBeNull();
    expect(await p.runs.list(r.image_id, 1)).toEqual([]);
    // and the deletion's own stream records create nothing new
    expect(p.drainRouted()).toEqual([]);
  });

  // docs/lessons.md#lesson-15-a-remove-before-its-insert-left-orphans
  it('[INSERT, REMOVE] delivered in reverse order leaves no vector', async () => {
    const p = pipeline();
    const r = await p.ingest(specLines(DEMO[3]!.spec));
    await p.receipts.delete(r.image_id, 1);
    const routed = p.drainRouted();
    const merges = routed.filter((m) => JSON.parse(m.body).kind === 'merge');
    const deletes = routed.filter((m) => JSON.parse(m.body).kind === 'delete_receipt');
    expect(merges).toHaveLength(2);
    expect(deletes).toHaveLength(2);
    const out = await compact(p.compactDeps, [...deletes, ...merges], { owner: 'a' });
    expect(out.failed).toEqual([]);
    expect(await p.vectors.findIds('lines', { image_id: r.image_id })).toEqual([]);
    expect(await p.vectors.findIds('words', { image_id: r.image_id })).toEqual([]);
  });

  // docs/lessons.md#lesson-8-empty-batches-polled-forever
  it('a batch whose receipts were all deleted finishes in one run', async () => {
    const p = pipeline();
    const a = await p.ingest(specLines(DEMO[0]!.spec));
    const b = await p.ingest(specLines(DEMO[1]!.spec));
    const routed = p.drainRouted().filter((m) => JSON.parse(m.body).kind === 'merge');
    await p.receipts.delete(a.image_id, 1);
    await p.receipts.delete(b.image_id, 1);
    p.drainRouted();
    const out = await compact(p.compactDeps, routed, { owner: 'a' });
    expect(out.failed).toEqual([]);
    expect(out.succeeded).toHaveLength(routed.length);
    expect(await p.vectors.count('lines')).toBe(0);
  });

  it('a merchant correction reaches the vectors; removing the place clears them', async () => {
    const p = pipeline();
    const r = await p.ingest(specLines(DEMO[5]!.spec));
    await p.compactAll();
    const place = (await p.receipts.getPlace(r.image_id, 1))!;
    await p.receipts.putPlace({ ...place, merchant_name: 'RENAMED', place_id: 'place-renamed' });
    const routed = p.drainRouted();
    expect(routed.map((m) => JSON.parse(m.body).kind)).toEqual(['update_metadata', 'update_metadata']);
    expect((await compact(p.compactDeps, routed, { owner: 'a' })).failed).toEqual([]);
    const ids = await p.vectors.findIds('lines', { image_id: r.image_id });
    const [record] = await p.vectors.get('lines', ids.slice(0, 1));
    expect(record!.metadata).toMatchObject({ merchant_name: 'RENAMED', place_id: 'place-renamed', has_place: true });

    await p.receipts.deletePlace(r.image_id, 1);
    expect((await compact(p.compactDeps, p.drainRouted(), { owner: 'a' })).failed).toEqual([]);
    const [cleared] = await p.vectors.get(
      'words',
      (await p.vectors.findIds('words', { image_id: r.image_id })).slice(0, 1),
    );
    expect(cleared!.metadata.has_place).toBe(false);
    expect(cleared!.metadata).not.toHaveProperty('merchant_name');
    expect(cleared!.metadata).not.toHaveProperty('place_id');
  });

  it('a correction made before the merge lands is not lost to reordering', async () => {
    const p = pipeline();
    const r = await p.ingest(specLines(DEMO[6]!.spec));
    const place = (await p.receipts.getPlace(r.image_id, 1))!;
    await p.receipts.putPlace({ ...place, merchant_name: 'FIXED EARLY', place_id: 'place-fixed' });
    const routed = p.drainRouted();
    // update_metadata first (finds nothing yet), merge afterwards: the merge applies the current place.
    routed.sort(
      (a, b) =>
        (JSON.parse(a.body).kind === 'update_metadata' ? -1 : 0) -
        (JSON.parse(b.body).kind === 'update_metadata' ? -1 : 0),
    );
    expect((await compact(p.compactDeps, routed, { owner: 'a' })).failed).toEqual([]);
    const [record] = await p.vectors.get(
      'lines',
      (await p.vectors.findIds('lines', { image_id: r.image_id })).slice(0, 1),
    );
    expect(record!.metadata).toMatchObject({ merchant_name: 'FIXED EARLY', place_id: 'place-fixed' });
  });
});
