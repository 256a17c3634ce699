import { describe, expect, it } from 'vitest';
import { isRetryable, NotFoundError, ValidationError } from '../errors.js';
import { MAX_TEXT_CHARS } from '../domain/index.js';
import type { CompactionRunStore, ReceiptStore } from '../ports/index.js';
import { type ContractSubject, shuffled, sorted, withFreshSubject } from './contract-helpers.js';
import {
  makeCompactionRun,
  makeReceiptDetails,
  makeReceiptFields,
  makeReceiptPlace,
  relabeledReceipt,
  uniqueId,
} from './fixtures.js';

/** What a ReceiptStore contract factory returns: a fresh, EMPTY store (listings are asserted exactly). */
export interface ReceiptStoreContractSubject extends ContractSubject<ReceiptStore> {
  /**
   * A CompactionRunStore over the same storage, to prove `delete` takes the receipt's runs with
   * it (the promise ReceiptStore.delete documents).
   */
  runs: CompactionRunStore;
}

/**
 * The ReceiptStore contract: receipts that are never overwritten once written, read back in id
 * order, deletes that leave no child row (lines, words, place, compaction runs), and places.
 * The factory must return a fresh, empty store each call.
 */
export function describeReceiptStoreContract(name: string, factory: () => Promise<ReceiptStoreContractSubject>): void {
  describe(`ReceiptStore contract: ${name}`, () => {
    let store: ReceiptStore;
    let runs: CompactionRunStore;
    withFreshSubject(factory, (created) => {
      store = created.subject;
      runs = created.runs;
    });

    describe('receipts', () => {
      it('creates a receipt with lines and words and reads it back', async () => {
        const details = makeReceiptDetails();
        const result = await store.create(details);
        expect(result.created).toBe(true);
        expect(result.details).toEqual(details);
        expect(await store.get(details.receipt.image_id, 1)).toEqual(details);
        expect(await store.get(details.receipt.image_id, 2)).toBeNull();
      });

      it('keeps a line and a word cut to MAX_TEXT_CHARS, with their text_truncated flag', async () => {
        const details = makeReceiptDetails();
        details.lines[0] = { ...details.lines[0]!, text: 'L'.repeat(MAX_TEXT_CHARS), text_truncated: true };
        details.words[0] = { ...details.words[0]!, text: 'W'.repeat(MAX_TEXT_CHARS), text_truncated: true };
        await store.create(details);
        const stored = await store.get(details.receipt.image_id, 1);
        expect(stored).toEqual(details);
        expect(stored!.lines[1]).not.toHaveProperty('text_truncated');
      });

      it('returns lines ordered by line_id and words by (line_id, word_id) whatever the write order', async () => {
        const details = makeReceiptDetails({}, { lineCount: 12, wordsPerLine: 11 });
        await store.create({
          receipt: details.receipt,
          lines: shuffled(details.lines),
          words: shuffled(details.words),
        });
        const read = await store.get(details.receipt.image_id, details.receipt.receipt_id);
        expect(read?.lines.map((l) => l.line_id)).toEqual(details.lines.map((l) => l.line_id));
        expect(read?.words.map((w) => [w.line_id, w.word_id])).toEqual(
          details.words.map((w) => [w.line_id, w.word_id]),
        );
        expect(read).toEqual(details);
      });

      it('round-trips a receipt larger than DynamoDB batch limits (30 lines, 240 words)', async () => {
        const details = makeReceiptDetails({ receipt_id: 7 }, { lineCount: 30, wordsPerLine: 8 });
        const result = await store.create(details);
        expect(result.created).toBe(true);
        const read = await store.get(details.receipt.image_id, 7);
        expect(read?.lines).toHaveLength(30);
        expect(read?.words).toHaveLength(240);
        expect(read).toEqual(details);
      });

      // docs/lessons.md#lesson-6-a-redelivery-overwrote-enriched-rows
      it('never overwrites an existing receipt: returns created:false and the stored rows', async () => {
        const original = makeReceiptDetails({}, { lineCount: 3, wordsPerLine: 2 });
        await store.create(original);
        const imageId = original.receipt.image_id;
        const place = makeReceiptPlace({ image_id: imageId, receipt_id: 1 });
        await store.putPlace(place);
        const redelivered = makeReceiptDetails(
          { image_id: imageId, receipt_id: 1, created_at: '2024-02-02T00:00:00.000Z' },
          { lineCount: 5, wordsPerLine: 1 },
        );
        for (const line of redelivered.lines) line.text = `CHANGED ${line.line_id}`;
        const result = await store.create(redelivered);
        expect(result.created).toBe(false);
        expect(result.details).toEqual(original);
        expect(await store.get(imageId, 1)).toEqual(original);
        expect(await store.getPlace(imageId, 1)).toEqual(place);
      });

      it('an identical repeated create is not an error', async () => {
        const details = makeReceiptDetails();
        await store.create(details);
        const again = await store.create(structuredClone(details));
        expect(again).toEqual({ created: false, details });
      });

      it('list returns the image’s receipts ordered by receipt_id, with children', async () => {
        const imageId = uniqueId('img');
        const r2 = makeReceiptDetails({ image_id: imageId, receipt_id: 2 }, { lineCount: 2 });
        const r1 = makeReceiptDetails({ image_id: imageId, receipt_id: 1 }, { lineCount: 4 });
        const r10 = makeReceiptDetails({ image_id: imageId, receipt_id: 10 }, { lineCount: 1 });
        const elsewhere = makeReceiptDetails();
        for (const d of [r2, r10, r1, elsewhere]) await store.create(d);
        expect(await store.list(imageId)).toEqual([r1, r2, r10]);
        expect(await store.list(uniqueId('img'))).toEqual([]);
      });

      // docs/lessons.md#lesson-16-stream-events-that-should-do-nothing-did-a-lot
      it('delete removes the receipt and every child row, leaving siblings intact', async () => {
        const imageId = uniqueId('img');
        const doomed = makeReceiptDetails({ image_id: imageId, receipt_id: 1 }, { lineCount: 30, wordsPerLine: 4 });
        const sibling = makeReceiptDetails({ image_id: imageId, receipt_id: 2 });
        await store.create(doomed);
        await store.create(sibling);
        const placeId = uniqueId('place');
        const doomedPlace = makeReceiptPlace({ image_id: imageId, receipt_id: 1, place_id: placeId });
        const siblingPlace = makeReceiptPlace({ image_id: imageId, receipt_id: 2, place_id: placeId });
        await store.putPlace(doomedPlace);
        await store.putPlace(siblingPlace);
        const doomedRun = makeCompactionRun({ image_id: imageId, receipt_id: 1 });
        const siblingRun = makeCompactionRun({ image_id: imageId, receipt_id: 2 });
        await runs.create(doomedRun);
        await runs.create(siblingRun);

        await store.delete(imageId, 1);

        expect(await store.get(imageId, 1)).toBeNull();
        expect(await store.getPlace(imageId, 1)).toBeNull();
        expect(await runs.get({ image_id: imageId, receipt_id: 1, run_id: doomedRun.run_id })).toBeNull();
        expect(await runs.list(imageId, 1)).toEqual([]);
        expect(await store.listByPlaceId(placeId)).toEqual([siblingPlace]);
        const unfinished = await runs.listUnfinished('2999-01-01T00:00:00.000Z');
        expect(unfinished.map((r) => r.run_id)).toEqual([siblingRun.run_id]);
        expect(await store.list(imageId)).toEqual([sibling]);
        expect(await store.getPlace(imageId, 2)).toEqual(siblingPlace);

        // No orphaned line/word rows: re-creating the receipt with fewer children reads back
        // exactly those children, and a fresh create is reported as created.
        const smaller = makeReceiptDetails({ image_id: imageId, receipt_id: 1 }, { lineCount: 1, wordsPerLine: 1 });
        const recreated = await store.create(smaller);
        expect(recreated.created).toBe(true);
        expect(await store.get(imageId, 1)).toEqual(smaller);
      });

      it('deleting an absent receipt succeeds', async () => {
        await expect(store.delete(uniqueId('img'), 3)).resolves.toBeUndefined();
      });
    });

    describe('receipt fields', () => {
      it('round-trips the fields stored with a receipt, through get and list', async () => {
        const details = makeReceiptDetails({ fields: makeReceiptFields() });
        expect((await store.create(details)).details).toEqual(details);
        expect(await store.get(details.receipt.image_id, 1)).toEqual(details);
        expect(await store.list(details.receipt.image_id)).toEqual([details]);
      });

      it('round-trips null fields, an unread date and a truncated item list', async () => {
        const fields = makeReceiptFields({
          date: { value: null, text: '25/29/2017', line_ids: [1], source: 'extracted' },
          total: null,
          subtotal: null,
          tax: null,
          payment_method: null,
          line_items_truncated: true,
        });
        const details = makeReceiptDetails({ fields });
        await store.create(details);
        expect((await store.get(details.receipt.image_id, 1))?.receipt.fields).toEqual(fields);
      });

      it('a receipt stored without fields (written before they existed) reads back without them', async () => {
        const old = makeReceiptDetails();
        expect(old.receipt).not.toHaveProperty('fields');
        await store.create(old);
        const read = await store.get(old.receipt.image_id, 1);
        expect(read).toEqual(old);
        expect(read?.receipt).not.toHaveProperty('fields');
      });

      it('putFields gives a stored receipt its fields, replaces them, and leaves lines and words alone', async () => {
        const details = makeReceiptDetails({}, { lineCount: 4, wordsPerLine: 2 });
        const { image_id } = details.receipt;
        await store.create(details);
        const first = makeReceiptFields();
        await store.putFields(image_id, 1, first);
        expect(await store.get(image_id, 1)).toEqual({ ...details, receipt: { ...details.receipt, fields: first } });
        // A person's corrections: a typed date, and a typed line item (no line names it).
        const corrected = makeReceiptFields({
          date: { value: '2024-03-15', text: '', line_ids: [], source: 'user' },
          line_items: [
            {
              description: 'Oat milk',
              quantity: null,
              unit_price: null,
              amount: { minor: 249, currency: 'USD' },
              line_ids: [],
              source: 'user',
            },
          ],
        });
        await store.putFields(image_id, 1, corrected);
        expect(await store.get(image_id, 1)).toEqual({
          ...details,
          receipt: { ...details.receipt, fields: corrected },
        });
      });

      it('putFields on a receipt that does not exist is NotFoundError and creates nothing', async () => {
        const imageId = uniqueId('img');
        const error = await store.putFields(imageId, 1, makeReceiptFields()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NotFoundError);
        expect(await store.get(imageId, 1)).toBeNull();
        expect(await store.list(imageId)).toEqual([]);
      });

      it('rejects bad field data with a ValidationError naming the field, and stores nothing', async () => {
        const bad = [
          {
            ...makeReceiptFields(),
            total: { minor: 12.5, currency: 'USD', text: '12.50', line_ids: [3], source: 'extracted' },
          },
          {
            ...makeReceiptFields(),
            total: { minor: 1250, currency: 'XYZ', text: '12.50', line_ids: [3], source: 'extracted' },
          },
          {
            ...makeReceiptFields(),
            date: { value: '2024-02-30', text: '30/02/2024', line_ids: [1], source: 'extracted' },
          },
          { ...makeReceiptFields(), payment_method: { value: 'cash', text: 'CASH', line_ids: [1], source: 'robot' } },
        ] as unknown as ReturnType<typeof makeReceiptFields>[];
        const paths = ['total.minor', 'total.currency', 'date.value', 'payment_method.source'];
        for (const [i, fields] of bad.entries()) {
          const details = makeReceiptDetails({ fields });
          const created = await store.create(details).catch((e: unknown) => e);
          expect(created, paths[i]).toBeInstanceOf(ValidationError);
          expect((created as ValidationError).code).toBe('VALIDATION_FAILED');
          expect(String(created), paths[i]).toContain(paths[i]);
          expect(await store.get(details.receipt.image_id, 1)).toBeNull();

          const stored = makeReceiptDetails();
          await store.create(stored);
          const put = await store.putFields(stored.receipt.image_id, 1, fields).catch((e: unknown) => e);
          expect(put, paths[i]).toBeInstanceOf(ValidationError);
          expect(String(put), paths[i]).toContain(paths[i]);
          expect(await store.get(stored.receipt.image_id, 1)).toEqual(stored);
        }
      });
    });

    // docs/adapters.md#concurrent-duplicate-deliveries: SQS delivers a message twice, sometimes at once.
    describe('concurrent duplicate deliveries', () => {
      it('concurrent creates of one receipt: one is stored whole; the others return it or ask to be retried', async () => {
        // 12 lines and 108 words: several DynamoDB batches, so the writes really overlap.
        const base = makeReceiptDetails({}, { lineCount: 12, wordsPerLine: 9 });
        const deliveries = ['A', 'B', 'C'].map((tag) => relabeledReceipt(base, tag));
        const results = await Promise.allSettled(deliveries.map((d) => store.create(d)));

        const stored = await store.get(base.receipt.image_id, base.receipt.receipt_id);
        const created = results.filter((r) => r.status === 'fulfilled' && r.value.created);
        expect(created.length).toBeLessThanOrEqual(1);
        for (const r of results) {
          if (r.status === 'rejected') expect(isRetryable(r.reason), String(r.reason)).toBe(true);
          else expect(r.value.details).toEqual(stored);
        }
        if (created.length === 1) expect(deliveries).toContainEqual(stored);

        // The retried delivery settles it: the receipt is one delivery's, every row it counts there.
        const retried = await store.create(relabeledReceipt(base, 'D'));
        expect(retried.created).toBe(created.length === 0);
        const settled = await store.get(base.receipt.image_id, base.receipt.receipt_id);
        expect(retried.details).toEqual(settled);
        expect([...deliveries, relabeledReceipt(base, 'D')]).toContainEqual(settled);
        expect(settled?.lines).toHaveLength(settled!.receipt.line_count);
        expect(settled?.words).toHaveLength(settled!.receipt.word_count);
      });
    });
    describe('receipt places', () => {
      it('puts, replaces, reads and deletes the place of a receipt', async () => {
        const place = makeReceiptPlace();
        await store.putPlace(place);
        expect(await store.getPlace(place.image_id, place.receipt_id)).toEqual(place);
        const corrected = { ...place, merchant_name: 'Whole Foods', place_id: 'ChIJ-wf', evidence: ['name'] };
        await store.putPlace(corrected);
        expect(await store.getPlace(place.image_id, place.receipt_id)).toEqual(corrected);
        await store.deletePlace(place.image_id, place.receipt_id);
        expect(await store.getPlace(place.image_id, place.receipt_id)).toBeNull();
        await expect(store.deletePlace(place.image_id, place.receipt_id)).resolves.toBeUndefined();
      });

      it('listByPlaceId finds receipts resolved to a place, follows replacements, honours limit', async () => {
        const placeId = uniqueId('place');
        const a = makeReceiptPlace({ place_id: placeId });
        const b = makeReceiptPlace({ place_id: placeId, receipt_id: 2 });
        const unresolved = makeReceiptPlace({ place_id: null, merchant_name: null, source: 'none' });
        const elsewhere = makeReceiptPlace();
        for (const p of [a, b, unresolved, elsewhere]) await store.putPlace(p);
        const key = (p: { image_id: string; receipt_id: number }) => `${p.image_id}/${p.receipt_id}`;
        expect(sorted(await store.listByPlaceId(placeId), key)).toEqual(sorted([a, b], key));
        expect(await store.listByPlaceId(placeId, 1)).toHaveLength(1);

        await store.putPlace({ ...b, place_id: 'ChIJ-moved' });
        expect(await store.listByPlaceId(placeId)).toEqual([a]);
        expect(await store.listByPlaceId(uniqueId('place'))).toEqual([]);
      });

      it("keeps a user's place (source 'user') as written", async () => {
        const place = makeReceiptPlace({ source: 'user', confidence: 1, evidence: ['user'] });
        await store.putPlace(place);
        expect(await store.getPlace(place.image_id, place.receipt_id)).toEqual(place);
      });
    });

    describe('tombstones', () => {
      it('a tombstone outlives the delete of its receipt, and the first one written is kept', async () => {
        const details = makeReceiptDetails();
        const { image_id } = details.receipt;
        await store.create(details);
        const first = { image_id, receipt_id: 1, owner: 'alice', deleted_at: '2024-03-01T10:00:00.000Z' };
        expect(await store.getTombstone(image_id, 1)).toBeNull();
        await store.putTombstone(first);
        await store.putTombstone({ ...first, owner: 'bob', deleted_at: '2024-03-02T10:00:00.000Z' });
        await store.delete(image_id, 1);
        expect(await store.get(image_id, 1)).toBeNull();
        expect(await store.getTombstone(image_id, 1)).toEqual(first);
        expect(await store.getTombstone(image_id, 2)).toBeNull();
        expect(await store.list(image_id)).toEqual([]);
      });

      it('refuses a malformed tombstone with a ValidationError', async () => {
        const bad = { image_id: uniqueId('img'), receipt_id: 1, owner: 'not an owner!', deleted_at: 'yesterday' };
        await expect(store.putTombstone(bad)).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('possible duplicates', () => {
      it('sets and clears possible_duplicate_of on the receipt row only', async () => {
        const details = makeReceiptDetails({ fields: makeReceiptFields() });
        const { image_id } = details.receipt;
        await store.create(details);
        const of = { image_id: uniqueId('img'), receipt_id: 3 };
        await store.putPossibleDuplicate(image_id, 1, of);
        expect(await store.get(image_id, 1)).toEqual({
          ...details,
          receipt: { ...details.receipt, possible_duplicate_of: of },
        });
        await store.putPossibleDuplicate(image_id, 1, null);
        expect(await store.get(image_id, 1)).toEqual(details);
        await expect(store.putPossibleDuplicate(image_id, 2, of)).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.get(image_id, 2)).toBeNull();
      });

      it('claimFingerprint: the first claim holds, later ones learn the holder; release only by the holder', async () => {
        const fingerprint = `${uniqueId('place')}|2024-03-09|1250 USD`;
        const claim = (image_id: string, receipt_id = 1) => ({
          owner: 'alice',
          fingerprint,
          image_id,
          receipt_id,
          claimed_at: '2024-03-09T12:00:00.000Z',
        });
        const a = claim(uniqueId('img'));
        const b = claim(uniqueId('img'), 2);
        expect(await store.claimFingerprint(a)).toEqual(a);
        expect(await store.claimFingerprint(a)).toEqual(a);
        expect(await store.claimFingerprint(b)).toEqual(a);
        // Another owner's equal fingerprint is another claim.
        const bobs = { ...b, owner: 'bob' };
        expect(await store.claimFingerprint(bobs)).toEqual(bobs);

        await store.releaseFingerprint('alice', fingerprint, b.image_id, b.receipt_id);
        expect(await store.claimFingerprint(b)).toEqual(a);
        await store.releaseFingerprint('alice', fingerprint, a.image_id, a.receipt_id);
        await store.releaseFingerprint('alice', fingerprint, a.image_id, a.receipt_id);
        expect(await store.claimFingerprint(b)).toEqual(b);
      });

      it('of concurrent claims of one fingerprint exactly one holds, and every caller is told which', async () => {
        const fingerprint = `${uniqueId('place')}|2024-03-09|99 EUR`;
        const claims = Array.from({ length: 6 }, (_, i) => ({
          owner: 'alice',
          fingerprint,
          image_id: uniqueId('img'),
          receipt_id: i + 1,
          claimed_at: '2024-03-09T12:00:00.000Z',
        }));
        const holders = await Promise.all(claims.map((c) => store.claimFingerprint(c)));
        expect(new Set(holders.map((h) => `${h.image_id}/${h.receipt_id}`)).size).toBe(1);
        expect(claims).toContainEqual(holders[0]);
      });
    });
  });
}
