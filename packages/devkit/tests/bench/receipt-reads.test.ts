import { describe, expect, it } from 'vitest';
import { coreListing, httpListing, listingQueries } from '../../bench/receipt-reads.js';
import { seedDay, seededTable } from '../../bench/receipt-catalog-seed.js';
import { verdicts } from '../../bench/report.js';

describe('receipt reads bench', () => {
  it('seeds receipts newest first at 10 a day, and every timed query fills its page at the small size', async () => {
    expect(seedDay(0)).toBe('2025-12-31');
    expect(seedDay(9)).toBe('2025-12-31');
    expect(seedDay(10)).toBe('2025-12-30');
    const list = await coreListing(1_000);
    for (const query of listingQueries(40)) {
      const page = await list(query);
      expect(page.receipts, JSON.stringify(query)).toHaveLength(25);
      expect(page.receipts.every((r) => r.merchant?.place_id === query.merchant)).toBe(true);
      expect(page.receipts.every((r) => r.date! >= query.from! && r.date! <= query.to!)).toBe(true);
    }
    // Through GET /receipts the bench gets the same pages as from core.
    const http = await httpListing(1_000);
    for (const query of listingQueries(5)) expect(await http(query)).toEqual(await list(query));
    // One table, replayed as a journal is: the listing index agrees with the rows.
    expect(seededTable(30).receiptIndex.ownerKeys('bench')).toHaveLength(30);
  });

  it('judges the read-side goals when they were measured, and leaves them out of older reports', () => {
    const base = { p5_bytes: {}, p5_init_ms: {} };
    const judged = verdicts({
      ...base,
      receipt_list_p50_ratio: 1.1,
      receipt_list_p95_ratio: 1.6,
      receipt_export_rss_growth_mb: 12,
    });
    expect(judged.receipt_list_p50_ratio).toMatchObject({ met: true });
    expect(judged.receipt_list_p95_ratio).toMatchObject({ met: false });
    expect(judged.receipt_export_rss_growth_mb).toMatchObject({ met: false, goal: '<= 8 MB' });
    expect(Object.keys(verdicts(base)).some((k) => k.startsWith('receipt_'))).toBe(false);
  });
});
