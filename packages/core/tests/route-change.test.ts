import { describe, expect, it } from 'vitest';
import { routeChange, type ChangeRecord } from '../src/index.js';
import { makeCompactionRun, makeReceiptDetails, makeReceiptPlace } from '../src/testing/fixtures.js';

const change = (c: Partial<ChangeRecord> & Pick<ChangeRecord, 'entity' | 'event_name'>): ChangeRecord => ({
  old_image: null,
  new_image: null,
  sequence: '1',
  ...c,
});

describe('routeChange', () => {
  const run = makeCompactionRun({ image_id: 'img-1', receipt_id: 1, run_id: 'run-1' });
  const place = makeReceiptPlace({ image_id: 'img-1', receipt_id: 1 });
  const receipt = makeReceiptDetails({ image_id: 'img-1', receipt_id: 1 }).receipt;

  it('CompactionRun INSERT → one merge per collection, with each delta key', () => {
    const out = routeChange(change({ entity: 'COMPACTION_RUN', event_name: 'INSERT', new_image: run }));
    expect(out).toEqual([
      {
        kind: 'merge',
        collection: 'lines',
        run_id: 'run-1',
        image_id: 'img-1',
        receipt_id: 1,
        delta_key: run.lines.delta_key,
      },
      {
        kind: 'merge',
        collection: 'words',
        run_id: 'run-1',
        image_id: 'img-1',
        receipt_id: 1,
        delta_key: run.words.delta_key,
      },
    ]);
  });

  // docs/lessons.md#lesson-16-stream-events-that-should-do-nothing-did-a-lot
  it('CompactionRun MODIFY → nothing (completions must not trigger more work)', () => {
    const done = { ...run, lines: { ...run.lines, state: 'COMPLETED', merged_count: 3 } };
    expect(
      routeChange(change({ entity: 'COMPACTION_RUN', event_name: 'MODIFY', old_image: run, new_image: done })),
    ).toEqual([]);
  });

  it('CompactionRun REMOVE → nothing', () => {
    expect(routeChange(change({ entity: 'COMPACTION_RUN', event_name: 'REMOVE', old_image: run }))).toEqual([]);
  });

  it('ReceiptPlace INSERT without a previous image → nothing (the deltas carry it)', () => {
    expect(routeChange(change({ entity: 'RECEIPT_PLACE', event_name: 'INSERT', new_image: place }))).toEqual([]);
  });

  it('ReceiptPlace MODIFY with a new merchant → update_metadata per collection', () => {
    const corrected = { ...place, merchant_name: 'Corrected Name', place_id: 'ChIJ-other' };
    const out = routeChange(
      change({ entity: 'RECEIPT_PLACE', event_name: 'MODIFY', old_image: place, new_image: corrected }),
    );
    expect(out.map((m) => [m.kind, m.collection])).toEqual([
      ['update_metadata', 'lines'],
      ['update_metadata', 'words'],
    ]);
    expect(out[0]).toMatchObject({
      metadata: { merchant_name: 'Corrected Name', place_id: 'ChIJ-other', has_place: true },
    });
  });

  it('ReceiptPlace INSERT over an existing row with a new place → update_metadata', () => {
    const corrected = { ...place, place_id: 'ChIJ-other' };
    expect(
      routeChange(change({ entity: 'RECEIPT_PLACE', event_name: 'INSERT', old_image: place, new_image: corrected })),
    ).toHaveLength(2);
  });

  it('ReceiptPlace MODIFY of the address only → update_metadata carrying the new address', () => {
    const moved = { ...place, address: '2 Other Street, Springfield' };
    expect(moved.merchant_name).toBe(place.merchant_name);
    expect(moved.place_id).toBe(place.place_id);
    const out = routeChange(
      change({ entity: 'RECEIPT_PLACE', event_name: 'MODIFY', old_image: place, new_image: moved }),
    );
    expect(out.map((m) => [m.kind, m.collection])).toEqual([
      ['update_metadata', 'lines'],
      ['update_metadata', 'words'],
    ]);
    expect(out[0]).toMatchObject({
      metadata: { merchant_address: '2 Other Street, Springfield', merchant_name: place.merchant_name },
    });
  });

  it('ReceiptPlace MODIFY of the phone only → update_metadata carrying the new phone', () => {
    const out = routeChange(
      change({
        entity: 'RECEIPT_PLACE',
        event_name: 'MODIFY',
        old_image: place,
        new_image: { ...place, phone: '+1 555 0100' },
      }),
    );
    expect(out).toHaveLength(2);
    expect(out[1]).toMatchObject({ collection: 'words', metadata: { merchant_phone: '+1 555 0100' } });
  });

  it('ReceiptPlace MODIFY of other fields only (confidence) → nothing', () => {
    const touched = { ...place, confidence: 0.5, evidence: ['phone'] };
    expect(
      routeChange(change({ entity: 'RECEIPT_PLACE', event_name: 'MODIFY', old_image: place, new_image: touched })),
    ).toEqual([]);
  });

  it('ReceiptPlace REMOVE → update_metadata that clears the merchant keys', () => {
    const out = routeChange(change({ entity: 'RECEIPT_PLACE', event_name: 'REMOVE', old_image: place }));
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({
      kind: 'update_metadata',
      metadata: { merchant_name: null, place_id: null, merchant_address: null, merchant_phone: null, has_place: false },
    });
  });

  it('Receipt REMOVE → delete_receipt per collection', () => {
    expect(routeChange(change({ entity: 'RECEIPT', event_name: 'REMOVE', old_image: receipt }))).toEqual([
      { kind: 'delete_receipt', collection: 'lines', image_id: 'img-1', receipt_id: 1 },
      { kind: 'delete_receipt', collection: 'words', image_id: 'img-1', receipt_id: 1 },
    ]);
  });

  it.each([
    ['RECEIPT', 'INSERT'],
    ['RECEIPT', 'MODIFY'],
    ['RECEIPT_LINE', 'REMOVE'],
    ['RECEIPT_WORD', 'INSERT'],
    ['OCR_JOB', 'MODIFY'],
    ['IMAGE', 'REMOVE'],
    ['ROUTING', 'INSERT'],
  ] as const)('%s %s → nothing', (entity, event_name) => {
    expect(routeChange(change({ entity, event_name, old_image: receipt, new_image: receipt }))).toEqual([]);
  });

  it('a CompactionRun INSERT whose image does not parse → nothing (no retry could fix it)', () => {
    expect(routeChange(change({ entity: 'COMPACTION_RUN', event_name: 'INSERT', new_image: { run_id: 'x' } }))).toEqual(
      [],
    );
  });
});
