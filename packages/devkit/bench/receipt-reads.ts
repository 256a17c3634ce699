/**
 * The read side of issue 15 (docs/benchmarks.md#receipt-reads-receipt_list-receipt_export):
 * - listing: p50 and p95 of a filtered receipt listing (merchant and a 60-day window, page of
 *   25) at a small and a large number of receipts; listing is keyed, so the large/small ratio
 *   stays near 1;
 * - export: receipts per second and peak RSS of a CSV export of every receipt, in a fresh
 *   process per size; memory above the seeded stores stays flat from the small to the large size.
 * Receipts are seeded straight into the stores (receipt-catalog-seed.ts), not through OCR.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jobTableStores } from '@receiptflow/adapters-local';
import { listReceipts, silentLogger, type ListReceiptsQuery, type ListReceiptsResult } from '@receiptflow/core';
import { ApiKeyAuth, createApiRouter, receiptListRoutes } from '@receiptflow/handlers/local';
import { MERCHANTS, RECEIPTS_PER_DAY, seedDay, seedMerchant, seededTable } from './receipt-catalog-seed.js';
import { percentile, round } from './stats.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');

/** How many receipts each measurement uses: --quick keeps both small (docs/benchmarks.md says which). */
export interface ReceiptReadSizes {
  listSmall: number;
  listLarge: number;
  exportSmall: number;
  exportLarge: number;
}

export const RECEIPT_READ_SIZES: Record<'quick' | 'full', ReceiptReadSizes> = {
  quick: { listSmall: 1_000, listLarge: 20_000, exportSmall: 2_000, exportLarge: 20_000 },
  full: { listSmall: 1_000, listLarge: 100_000, exportSmall: 10_000, exportLarge: 100_000 },
};

/** Days of a listing window: 60 days x 10 receipts a day / 20 merchants = 30 matches, a full page of 25. */
const WINDOW_DAYS = 60;
const PAGE = 25;
const WARMUP = 200;
const TIMED = 500;

/** A listing as a person asks for it; the bench calls it over a store of `size` receipts. */
export type ListFn = (query: ListReceiptsQuery) => Promise<ListReceiptsResult>;

/**
 * The queries timed: merchant by merchant, windows sliding over the first 40 days so that every
 * window lies inside the seeded range at the small size too (100 days at 1k).
 */
export function listingQueries(count: number): ListReceiptsQuery[] {
  return Array.from({ length: count }, (_, q) => {
    const offset = (q * 7) % 40;
    return {
      merchant: seedMerchant(q % MERCHANTS),
      to: seedDay(offset * RECEIPTS_PER_DAY),
      from: seedDay((offset + WINDOW_DAYS - 1) * RECEIPTS_PER_DAY),
      limit: PAGE,
    };
  });
}

/**
 * p50 and p95 (ms) of the filtered listing at each size, each page checked full. The two sizes
 * are queried turn about (after a warm-up of both), so that a burst of load from another process
 * on the shared machine lands on both sides of the ratio alike.
 */
async function timeListings(
  sizes: [number, number],
  open: (size: number) => Promise<ListFn>,
): Promise<{ p50: number; p95: number }[]> {
  const lists = [await open(sizes[0]), await open(sizes[1])];
  const ms: number[][] = [[], []];
  for (const [q, query] of listingQueries(WARMUP + TIMED).entries()) {
    for (const side of [0, 1] as const) {
      const started = performance.now();
      const page = await lists[side]!(query);
      const elapsed = performance.now() - started;
      if (page.receipts.length !== PAGE) {
        throw new Error(
          `listing ${JSON.stringify(query)} over ${sizes[side]} receipts returned ${page.receipts.length}, not a full page`,
        );
      }
      if (q >= WARMUP) ms[side]!.push(elapsed);
    }
  }
  return ms.map((xs) => ({ p50: percentile(xs, 0.5), p95: percentile(xs, 0.95) }));
}

/** The listing through core's listReceipts over the local catalog (no HTTP). */
export async function coreListing(size: number): Promise<ListFn> {
  const { catalog } = jobTableStores(seededTable(size));
  return (query) => listReceipts({ catalog }, 'bench', query);
}

/**
 * The listing as a client gets it: `GET /receipts?merchant=&from=&to=&limit=` through the API
 * router (bearer check, query parsing, JSON in and out) over the local catalog, in-process, so
 * that the figure is the API's own cost and not the loopback socket's.
 */
export async function httpListing(size: number): Promise<ListFn> {
  const { catalog } = jobTableStores(seededTable(size));
  const key = 'bench-key';
  const auth = new ApiKeyAuth([{ owner: 'bench', sha256: ApiKeyAuth.hash(key) }]);
  const api = createApiRouter(receiptListRoutes({ catalog }), { auth, logger: silentLogger });
  return async (query) => {
    const params = Object.fromEntries(
      Object.entries(query)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => [name, String(value)]),
    );
    const res = await api({
      rawPath: '/receipts',
      rawQueryString: new URLSearchParams(params).toString(),
      headers: { authorization: `Bearer ${key}` },
      queryStringParameters: params,
      requestContext: { http: { method: 'GET', path: '/receipts' }, requestId: 'bench' },
    });
    if (res.statusCode !== 200) throw new Error(`GET /receipts answered ${res.statusCode}: ${res.body}`);
    return JSON.parse(res.body) as ListReceiptsResult;
  };
}

export async function measureReceiptListing(
  sizes: ReceiptReadSizes,
  progress: (line: string) => void,
  open: (size: number) => Promise<ListFn> = httpListing,
): Promise<Record<string, number>> {
  progress(`receipt listing (GET /receipts): ${sizes.listSmall} and ${sizes.listLarge} receipts, queried turn about`);
  const [small, large] = (await timeListings([sizes.listSmall, sizes.listLarge], open)) as [
    { p50: number; p95: number },
    { p50: number; p95: number },
  ];
  return {
    small_receipts: sizes.listSmall,
    large_receipts: sizes.listLarge,
    p50_small_ms: round(small.p50, 3),
    p95_small_ms: round(small.p95, 3),
    p50_large_ms: round(large.p50, 3),
    p95_large_ms: round(large.p95, 3),
    p50_ratio: round(large.p50 / small.p50, 2),
    p95_ratio: round(large.p95 / small.p95, 2),
  };
}

interface ExportRun {
  receipts: number;
  receipts_per_s: number;
  csv_mb: number;
  baseline_rss_mb: number;
  peak_rss_mb: number;
}

async function exportRun(size: number): Promise<ExportRun> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(here, 'export-child.ts'), String(size)],
    { cwd: repoRoot, maxBuffer: 1024 * 1024, timeout: 600_000 },
  );
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as ExportRun;
  if (result.receipts !== size) throw new Error(`export of ${size} receipts wrote ${result.receipts} rows`);
  return result;
}

export async function measureReceiptExport(
  sizes: ReceiptReadSizes,
  progress: (line: string) => void,
): Promise<Record<string, number>> {
  progress(`receipt export: ${sizes.exportSmall} receipts (own process)`);
  const small = await exportRun(sizes.exportSmall);
  progress(`receipt export: ${sizes.exportLarge} receipts (own process)`);
  const large = await exportRun(sizes.exportLarge);
  const extraSmall = small.peak_rss_mb - small.baseline_rss_mb;
  const extraLarge = large.peak_rss_mb - large.baseline_rss_mb;
  return {
    small_receipts: sizes.exportSmall,
    large_receipts: sizes.exportLarge,
    small_per_s: round(small.receipts_per_s, 0),
    large_per_s: round(large.receipts_per_s, 0),
    small_peak_rss_mb: round(small.peak_rss_mb, 1),
    large_peak_rss_mb: round(large.peak_rss_mb, 1),
    small_rss_above_stores_mb: round(extraSmall, 1),
    large_rss_above_stores_mb: round(extraLarge, 1),
    rss_growth_mb: round(extraLarge - extraSmall, 1),
    large_csv_mb: round(large.csv_mb, 1),
  };
}
