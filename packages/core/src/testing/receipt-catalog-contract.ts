import { expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import type { Money, ReceiptDetails, ReceiptFields } from '../domain/index.js';
import type { ReceiptCatalog, ReceiptStore } from '../ports/index.js';
import { listMerchants, listReceipts, type ListReceiptsQuery } from '../queries/list-receipts.js';
import type { ReceiptSummary } from '../queries/receipt-summary.js';
import { type ContractSubject, defineContract } from './contract-helpers.js';
import { makeReceiptDetails, makeReceiptFields, makeReceiptPlace, uniqueId } from './fixtures.js';

/**
 * What a ReceiptCatalog contract factory returns: a catalog over fresh, EMPTY storage (listings
 * are asserted exactly) and the ReceiptStore that writes that storage, since a catalog is only
 * ever filled and changed through the store's writes.
 */
export interface ReceiptCatalogContractSubject extends ContractSubject<ReceiptCatalog> {
  receipts: ReceiptStore;
}

/** One receipt to store: an owner, a date (null: none read), a total, its lines' text and its place. */
interface Spec {
  owner?: string;
  image_id?: string;
  receipt_id?: number;
  date?: string | null;
  created_at?: string;
  total?: Money | null;
  /** Subtotal and tax (default: none printed) and the payment method (default: none). */
  subtotal?: Money;
  tax?: Money;
  payment?: 'cash' | 'card';
  /** Without `fields` at all (a receipt stored before fields were extracted). */
  noFields?: boolean;
  lines?: string[];
  place?: string | null;
  name?: string;
}

const usd = (minor: number): Money => ({ minor, currency: 'USD' });

/**
 * The ReceiptCatalog contract, through the queries that use it (`listReceipts`, `listMerchants`):
 * newest-first order, cursors that cover every receipt once, each filter and their combination,
 * owner isolation, and a listing that follows corrections, place changes and deletes.
 */
export const describeReceiptCatalogContract = defineContract<ReceiptCatalog, ReceiptCatalogContractSubject>(
  'ReceiptCatalog',
  (catalog, fixture) => {
    const deps = { catalog };
    const store = (): ReceiptStore => fixture().receipts;

    async function add(spec: Spec = {}): Promise<ReceiptDetails> {
      const lines = spec.lines ?? ['MAIN ST MARKET', 'BREAD 2.00', 'TOTAL 12.50'];
      const fields: ReceiptFields = makeReceiptFields({
        date:
          spec.date === null
            ? null
            : { value: spec.date ?? '2024-03-14', text: '', line_ids: [1], source: 'extracted' },
        total:
          spec.total === null ? null : { ...(spec.total ?? usd(1250)), text: '', line_ids: [3], source: 'extracted' },
        subtotal: spec.subtotal ? { ...spec.subtotal, text: '', line_ids: [2], source: 'extracted' } : null,
        tax: spec.tax ? { ...spec.tax, text: '', line_ids: [2], source: 'user' } : null,
        payment_method: spec.payment ? { value: spec.payment, text: '', line_ids: [3], source: 'extracted' } : null,
      });
      const details = makeReceiptDetails(
        {
          image_id: spec.image_id ?? uniqueId('img'),
          receipt_id: spec.receipt_id ?? 1,
          created_at: spec.created_at ?? '2024-06-01T12:00:00.000Z',
          ...(spec.noFields ? {} : { fields }),
          owner: spec.owner ?? 'alice',
        },
        { lineCount: lines.length, wordsPerLine: 1 },
      );
      details.lines.forEach((line, i) => (line.text = lines[i]!));
      details.words.forEach((word, i) => (word.text = lines[i]!.split(' ')[0]!));
      await store().create(details);
      if (spec.place !== undefined) {
        await store().putPlace(
          makeReceiptPlace({
            image_id: details.receipt.image_id,
            receipt_id: details.receipt.receipt_id,
            place_id: spec.place,
            merchant_name: spec.name ?? (spec.place === null ? 'AS PRINTED' : `Shop ${spec.place}`),
            source: spec.place === null ? 'none' : 'places',
          }),
        );
      }
      return details;
    }

    const ids = (receipts: ReceiptSummary[]): string[] => receipts.map((r) => `${r.image_id}/${r.receipt_id}`);
    const idOf = (d: ReceiptDetails): string => `${d.receipt.image_id}/${d.receipt.receipt_id}`;
    const list = async (query: ListReceiptsQuery = {}, owner = 'alice'): Promise<string[]> =>
      ids((await listReceipts(deps, owner, { limit: 100, ...query })).receipts);

    /** Every page of a listing, following next_cursor. */
    async function allPages(query: ListReceiptsQuery, owner = 'alice'): Promise<{ ids: string[]; pages: number }> {
      const out: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await listReceipts(deps, owner, { ...query, ...(cursor ? { cursor } : {}) });
        expect(page.receipts.length).toBeLessThanOrEqual(query.limit ?? 25);
        out.push(...ids(page.receipts));
        cursor = page.next_cursor ?? undefined;
        if (++pages > 100) throw new Error('listing does not end');
      } while (cursor);
      return { ids: out, pages };
    }

    async function expectInvalid(run: () => Promise<unknown>, parameter: string): Promise<void> {
      const error = await run().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.some((issue) => issue.startsWith(`${parameter}:`))).toBe(true);
    }

    it('is empty for an owner without receipts', async () => {
      expect(await listReceipts(deps, 'alice')).toEqual({ receipts: [], next_cursor: null });
      expect(await listMerchants(deps, 'alice')).toEqual({ merchants: [] });
    });

    it('lists newest first by receipt date (else the upload day), ties by image_id then receipt_id', async () => {
      const jan2 = await add({ image_id: 'img-b', date: '2024-01-02' });
      const jan3 = await add({ image_id: 'img-a', date: '2024-01-03' });
      const jan2TieLow = await add({ image_id: 'img-0', date: '2024-01-02' });
      const jan2Receipt2 = await add({ image_id: 'img-b', receipt_id: 2, date: '2024-01-02' });
      const jan2Receipt10 = await add({ image_id: 'img-b', receipt_id: 10, date: '2024-01-02' });
      // No date read: listed by the day it was stored.
      const undated = await add({ image_id: 'img-c', date: null, created_at: '2024-01-05T23:59:00.000Z' });
      const noFields = await add({ image_id: 'img-d', noFields: true, created_at: '2023-12-31T00:00:00.000Z' });
      expect(await list()).toEqual([undated, jan3, jan2Receipt10, jan2Receipt2, jan2, jan2TieLow, noFields].map(idOf));
    });

    it('summarises each receipt: owner, date, total, subtotal, tax, payment, merchant, created_at', async () => {
      const placed = await add({
        date: '2024-02-29',
        total: { minor: 1999, currency: 'EUR' },
        subtotal: { minor: 1680, currency: 'EUR' },
        tax: { minor: 319, currency: 'EUR' },
        payment: 'cash',
        place: 'ChIJ-bakery',
        name: 'Bakery',
      });
      const pending = await add({ date: '2024-02-28', total: null, place: null, name: 'PRINTED NAME' });
      const bare = await add({ date: null, noFields: true });
      const { receipts } = await listReceipts(deps, 'alice');
      // Without a date field it is listed by its upload day (2024-06-01), the newest here.
      expect(receipts[0]).toEqual({
        image_id: bare.receipt.image_id,
        receipt_id: 1,
        owner: 'alice',
        date: null,
        total: null,
        subtotal: null,
        tax: null,
        payment_method: null,
        merchant: null,
        created_at: '2024-06-01T12:00:00.000Z',
      });
      expect(receipts.slice(1)).toEqual([
        {
          image_id: placed.receipt.image_id,
          receipt_id: 1,
          owner: 'alice',
          date: '2024-02-29',
          total: { amount_minor: 1999, currency: 'EUR' },
          subtotal: { amount_minor: 1680, currency: 'EUR' },
          tax: { amount_minor: 319, currency: 'EUR' },
          payment_method: 'cash',
          merchant: { place_id: 'ChIJ-bakery', name: 'Bakery', source: 'places' },
          created_at: '2024-06-01T12:00:00.000Z',
        },
        {
          image_id: pending.receipt.image_id,
          receipt_id: 1,
          owner: 'alice',
          date: '2024-02-28',
          total: null,
          subtotal: null,
          tax: null,
          payment_method: null,
          merchant: { place_id: null, name: 'PRINTED NAME', source: 'none' },
          created_at: '2024-06-01T12:00:00.000Z',
        },
      ]);
    });

    it('pages with the cursor: every receipt exactly once, in order, and a last page without a cursor', async () => {
      const stored: ReceiptDetails[] = [];
      for (let i = 0; i < 23; i++) {
        // Several receipts a day, and two receipts of some images: ties are paged through too.
        const day = String(1 + (i % 7)).padStart(2, '0');
        stored.push(
          await add({ image_id: `img-${i % 11}`, receipt_id: 1 + Math.floor(i / 11), date: `2024-05-${day}` }),
        );
      }
      const whole = await list();
      expect(whole).toHaveLength(23);
      expect(new Set(whole)).toEqual(new Set(stored.map(idOf)));
      for (const limit of [1, 5, 23, 25]) {
        const paged = await allPages({ limit });
        expect(paged.ids).toEqual(whole);
        expect(paged.pages).toBe(Math.max(1, Math.ceil(23 / limit)));
      }
      // The page size may change between pages; the cursor still continues where it was.
      const first = await listReceipts(deps, 'alice', { limit: 4 });
      const rest = await listReceipts(deps, 'alice', { limit: 100, cursor: first.next_cursor! });
      expect([...ids(first.receipts), ...ids(rest.receipts)]).toEqual(whole);
      expect(rest.next_cursor).toBeNull();
    });

    it('the port says whether more receipts follow the page', async () => {
      for (let i = 0; i < 3; i++) await add({ date: `2024-01-0${i + 1}` });
      const two = await catalog.listReceipts({ owner: 'alice', limit: 2 });
      expect(two.receipts).toHaveLength(2);
      expect(two.more).toBe(true);
      const three = await catalog.listReceipts({ owner: 'alice', limit: 3 });
      expect(three.more).toBe(false);
    });

    it('filters by merchant (place_id)', async () => {
      const a1 = await add({ place: 'ChIJ-a', date: '2024-01-01' });
      const b = await add({ place: 'ChIJ-b', date: '2024-01-02' });
      const a2 = await add({ place: 'ChIJ-a', date: '2024-01-03' });
      await add({ place: null, date: '2024-01-04' });
      await add({ date: '2024-01-05' });
      expect(await list({ merchant: 'ChIJ-a' })).toEqual([a2, a1].map(idOf));
      expect(await list({ merchant: 'ChIJ-b' })).toEqual([idOf(b)]);
      expect(await list({ merchant: 'ChIJ-unknown' })).toEqual([]);
      expect((await allPages({ merchant: 'ChIJ-a', limit: 1 })).ids).toEqual([a2, a1].map(idOf));
    });

    it('filters by date range, both bounds inclusive, on the receipt date else the upload day', async () => {
      const d = async (date: string) => idOf(await add({ date }));
      const [dec31, jan1, jan15, jan31, feb1] = [
        await d('2023-12-31'),
        await d('2024-01-01'),
        await d('2024-01-15'),
        await d('2024-01-31'),
        await d('2024-02-01'),
      ];
      const undatedJan20 = idOf(await add({ date: null, created_at: '2024-01-20T08:00:00.000Z' }));
      expect(await list({ from: '2024-01-01', to: '2024-01-31' })).toEqual([jan31, undatedJan20, jan15, jan1]);
      expect(await list({ from: '2024-01-31' })).toEqual([feb1, jan31]);
      expect(await list({ to: '2024-01-01' })).toEqual([jan1, dec31]);
      expect(await list({ from: '2024-01-15', to: '2024-01-15' })).toEqual([jan15]);
      expect((await allPages({ from: '2024-01-01', to: '2024-01-31', limit: 1 })).ids).toEqual([
        jan31,
        undatedJan20,
        jan15,
        jan1,
      ]);
    });

    it('filters by amount in major units, each total read with its currency’s decimals, bounds inclusive', async () => {
      const usd1250 = idOf(await add({ date: '2024-01-05', total: usd(1250) }));
      const usd999 = idOf(await add({ date: '2024-01-04', total: usd(999) }));
      const jpy1250 = idOf(await add({ date: '2024-01-03', total: { minor: 1250, currency: 'JPY' } }));
      const usd2000 = idOf(await add({ date: '2024-01-02', total: usd(2000) }));
      await add({ date: '2024-01-01', total: null });
      expect(await list({ min: 10, max: 20 })).toEqual([usd1250, usd2000]);
      expect(await list({ min: 12.5, max: 12.5 })).toEqual([usd1250]);
      expect(await list({ min: 1000 })).toEqual([jpy1250]);
      expect(await list({ max: 9.99 })).toEqual([usd999]);
      expect(await list({ min: 0 })).toEqual([usd1250, usd999, jpy1250, usd2000]);
    });

    it('filters by text: a case-insensitive substring of the lines, not of other receipts or fields', async () => {
      const latte = idOf(await add({ date: '2024-01-03', lines: ['Blue Bottle', 'Oat LATTE 5.50', 'TOTAL 5.50'] }));
      const flat = idOf(await add({ date: '2024-01-02', lines: ['Blue Bottle', 'FLAT WHITE 4.75', 'TOTAL 4.75'] }));
      await add({ date: '2024-01-01', lines: ['Hardware', 'NAILS 3.00', 'TOTAL 3.00'] });
      expect(await list({ text: 'latte' })).toEqual([latte]);
      expect(await list({ text: 'oat latte' })).toEqual([latte]);
      expect(await list({ text: 'BLUE bottle' })).toEqual([latte, flat]);
      expect(await list({ text: '  white  ' })).toEqual([flat]);
      expect(await list({ text: 'espresso' })).toEqual([]);
    });

    it('combines filters (AND) and pages through the combination', async () => {
      const match = [] as string[];
      for (let day = 1; day <= 9; day++) {
        const date = `2024-03-0${day}`;
        const inRange = day >= 2 && day <= 8;
        const even = day % 2 === 0;
        const id = idOf(
          await add({
            date,
            place: even ? 'ChIJ-cafe' : 'ChIJ-other',
            total: usd(even ? 1500 : 2500),
            lines: ['CAFE', day === 4 ? 'decaf MOCHA' : 'MOCHA', 'TOTAL'],
          }),
        );
        if (inRange && even) match.unshift(id);
      }
      const query = { merchant: 'ChIJ-cafe', from: '2024-03-02', to: '2024-03-08', min: 10, max: 20, text: 'mocha' };
      expect(await list(query)).toEqual(match);
      expect(match).toHaveLength(4);
      expect((await allPages({ ...query, limit: 1 })).ids).toEqual(match);
      expect(await list({ ...query, text: 'decaf' })).toEqual([match[2]]);
      expect(await list({ ...query, max: 12 })).toEqual([]);
    });

    it('never shows one owner another owner’s receipts or merchants', async () => {
      const alice = idOf(
        await add({ owner: 'alice', place: 'ChIJ-shared', date: '2024-01-01', lines: ['SHARED TEXT'] }),
      );
      const bob = idOf(await add({ owner: 'bob', place: 'ChIJ-shared', date: '2024-01-02', lines: ['SHARED TEXT'] }));
      await add({ owner: 'bob', place: 'ChIJ-bob-only', date: '2024-01-03' });
      expect(await list({}, 'alice')).toEqual([alice]);
      expect(await list({ merchant: 'ChIJ-shared', text: 'shared' }, 'alice')).toEqual([alice]);
      expect(await list({ merchant: 'ChIJ-bob-only' }, 'alice')).toEqual([]);
      expect(await list({ merchant: 'ChIJ-shared' }, 'bob')).toEqual([bob]);
      expect(await list({}, 'carol')).toEqual([]);
      expect((await listMerchants(deps, 'alice')).merchants).toEqual([
        { place_id: 'ChIJ-shared', name: 'Shop ChIJ-shared', receipt_count: 1, last_seen: '2024-01-01' },
      ]);
      expect((await listMerchants(deps, 'bob')).merchants.map((m) => m.place_id).sort()).toEqual([
        'ChIJ-bob-only',
        'ChIJ-shared',
      ]);
      expect((await listMerchants(deps, 'carol')).merchants).toEqual([]);
    });

    it('a corrected date, total or place moves the receipt in the listing', async () => {
      const moving = await add({ date: '2024-01-01', total: usd(500), place: 'ChIJ-a' });
      const other = idOf(await add({ date: '2024-01-10', total: usd(500), place: 'ChIJ-a' }));
      const { image_id } = moving.receipt;
      expect(await list()).toEqual([other, idOf(moving)]);

      const fields = moving.receipt.fields!;
      await store().putFields(image_id, 1, {
        ...fields,
        date: { value: '2024-02-01', text: '', line_ids: [], source: 'user' },
        total: { minor: 4200, currency: 'USD', text: '', line_ids: [], source: 'user' },
      });
      expect(await list()).toEqual([idOf(moving), other]);
      expect(await list({ from: '2024-02-01' })).toEqual([idOf(moving)]);
      expect(await list({ to: '2024-01-31' })).toEqual([other]);
      expect(await list({ min: 40 })).toEqual([idOf(moving)]);
      expect(await list({ merchant: 'ChIJ-a' })).toEqual([idOf(moving), other]);

      await store().putPlace(
        makeReceiptPlace({ image_id, receipt_id: 1, place_id: 'ChIJ-b', merchant_name: 'B', source: 'places' }),
      );
      expect(await list({ merchant: 'ChIJ-a' })).toEqual([other]);
      expect(await list({ merchant: 'ChIJ-b', from: '2024-02-01' })).toEqual([idOf(moving)]);
      const [summary] = (await listReceipts(deps, 'alice', { merchant: 'ChIJ-b' })).receipts;
      expect(summary).toMatchObject({ date: '2024-02-01', total: { amount_minor: 4200, currency: 'USD' } });
      expect(summary!.merchant).toEqual({ place_id: 'ChIJ-b', name: 'B', source: 'places' });

      await store().deletePlace(image_id, 1);
      expect(await list({ merchant: 'ChIJ-b' })).toEqual([]);
      expect((await listReceipts(deps, 'alice', { from: '2024-02-01' })).receipts[0]!.merchant).toBeNull();
    });

    it('a deleted receipt disappears from every listing', async () => {
      const gone = await add({ date: '2024-01-02', place: 'ChIJ-a', lines: ['UNIQUE WORDS'] });
      const kept = idOf(await add({ date: '2024-01-01', place: 'ChIJ-a' }));
      await store().delete(gone.receipt.image_id, 1);
      expect(await list()).toEqual([kept]);
      expect(await list({ merchant: 'ChIJ-a' })).toEqual([kept]);
      expect(await list({ text: 'unique' })).toEqual([]);
      expect(await list({ from: '2024-01-02' })).toEqual([]);
    });

    it('lists merchants with receipt count and last seen, kept right through place corrections and deletes', async () => {
      const a1 = await add({ place: 'ChIJ-a', name: 'A old name', date: '2024-01-01' });
      const a2 = await add({ place: 'ChIJ-a', name: 'A', date: '2024-01-05' });
      await add({ place: 'ChIJ-a', name: 'A older', date: '2024-01-03' });
      await add({ place: 'ChIJ-b', name: 'B', date: '2024-01-02' });
      await add({ place: null, date: '2024-01-09' });
      await add({ date: '2024-01-09' });
      expect((await listMerchants(deps, 'alice')).merchants).toEqual([
        { place_id: 'ChIJ-a', name: 'A', receipt_count: 3, last_seen: '2024-01-05' },
        { place_id: 'ChIJ-b', name: 'B', receipt_count: 1, last_seen: '2024-01-02' },
      ]);

      // The newest receipt of A is corrected to B: A counts 2, seen last on 01-03; B counts 2, seen 01-05.
      await store().putPlace(
        makeReceiptPlace({ image_id: a2.receipt.image_id, receipt_id: 1, place_id: 'ChIJ-b', merchant_name: 'B' }),
      );
      expect((await listMerchants(deps, 'alice')).merchants).toEqual([
        { place_id: 'ChIJ-a', name: 'A older', receipt_count: 2, last_seen: '2024-01-03' },
        { place_id: 'ChIJ-b', name: 'B', receipt_count: 2, last_seen: '2024-01-05' },
      ]);
      // The same place written again counts nothing twice.
      await store().putPlace(
        makeReceiptPlace({ image_id: a2.receipt.image_id, receipt_id: 1, place_id: 'ChIJ-b', merchant_name: 'B' }),
      );
      expect((await listMerchants(deps, 'alice')).merchants.map((m) => m.receipt_count)).toEqual([2, 2]);

      // Deleting the newest of B brings its last_seen back; a date correction moves last_seen.
      await store().delete(a2.receipt.image_id, 1);
      await store().putFields(a1.receipt.image_id, 1, {
        ...a1.receipt.fields!,
        date: { value: '2024-02-01', text: '', line_ids: [], source: 'user' },
      });
      expect((await listMerchants(deps, 'alice')).merchants).toEqual([
        { place_id: 'ChIJ-a', name: 'A old name', receipt_count: 2, last_seen: '2024-02-01' },
        { place_id: 'ChIJ-b', name: 'B', receipt_count: 1, last_seen: '2024-01-02' },
      ]);
    });

    it('drops a merchant whose last receipt is deleted or moved away', async () => {
      const only = await add({ place: 'ChIJ-once' });
      const moved = await add({ place: 'ChIJ-moved' });
      await store().delete(only.receipt.image_id, 1);
      await store().putPlace(
        makeReceiptPlace({ image_id: moved.receipt.image_id, receipt_id: 1, place_id: null, source: 'none' }),
      );
      expect((await listMerchants(deps, 'alice')).merchants).toEqual([]);
    });

    it('refuses a changed cursor, or one of another listing or owner, naming cursor', async () => {
      for (let i = 0; i < 3; i++) await add({ owner: 'alice', date: `2024-01-0${i + 1}`, place: 'ChIJ-a' });
      for (let i = 0; i < 3; i++) await add({ owner: 'bob', date: `2024-01-0${i + 1}`, place: 'ChIJ-a' });
      const { next_cursor } = await listReceipts(deps, 'alice', { limit: 1, merchant: 'ChIJ-a' });
      const cursor = next_cursor!;
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      const flipped = cursor.slice(0, 10) + (cursor[10] === 'A' ? 'B' : 'A') + cursor.slice(11);
      await expectInvalid(
        () => listReceipts(deps, 'alice', { limit: 1, merchant: 'ChIJ-a', cursor: flipped }),
        'cursor',
      );
      await expectInvalid(() => listReceipts(deps, 'alice', { merchant: 'ChIJ-a', cursor: 'not a cursor' }), 'cursor');
      await expectInvalid(() => listReceipts(deps, 'alice', { merchant: 'ChIJ-a', cursor: `${cursor}x` }), 'cursor');
      await expectInvalid(() => listReceipts(deps, 'alice', { merchant: 'ChIJ-b', cursor }), 'cursor');
      await expectInvalid(() => listReceipts(deps, 'alice', { cursor }), 'cursor');
      await expectInvalid(() => listReceipts(deps, 'bob', { merchant: 'ChIJ-a', cursor }), 'cursor');
      // A cursor of the same listing goes on with a different page size.
      expect((await listReceipts(deps, 'alice', { limit: 5, merchant: 'ChIJ-a', cursor })).receipts).toHaveLength(2);
    });

    it('refuses a bad filter naming it', async () => {
      await expectInvalid(() => listReceipts(deps, 'alice', { from: '2024-02-30' }), 'from');
      await expectInvalid(() => listReceipts(deps, 'alice', { to: '01/02/2024' }), 'to');
      await expectInvalid(() => listReceipts(deps, 'alice', { from: '2024-02-02', to: '2024-02-01' }), 'from');
      await expectInvalid(() => listReceipts(deps, 'alice', { min: 5, max: 4 }), 'min');
      await expectInvalid(() => listReceipts(deps, 'alice', { min: Number.NaN }), 'min');
      await expectInvalid(() => listReceipts(deps, 'alice', { limit: 101 }), 'limit');
      await expectInvalid(() => listReceipts(deps, 'alice', { limit: 0 }), 'limit');
      await expectInvalid(() => listReceipts(deps, 'alice', { text: '   ' }), 'text');
      await expectInvalid(() => listReceipts(deps, 'alice', { merchant: '' }), 'merchant');
      await expectInvalid(() => listReceipts(deps, 'alice', { vendor: 'x' } as ListReceiptsQuery), 'vendor');
      await expectInvalid(() => listReceipts(deps, 'not an owner!'), 'owner');
      await expectInvalid(() => listMerchants(deps, ''), 'owner');
    });
  },
);
