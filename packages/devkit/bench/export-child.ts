/**
 * One export measurement in a fresh process (run by receipt-reads.ts with --expose-gc): seeds
 * N receipts, collects garbage, notes RSS, then exports them all as CSV through core's
 * exportReceipts, sampling RSS after every chunk. Prints one JSON line. A process of its own per
 * size, so that the memory one size left behind is not counted in the next.
 *
 * Run: node --expose-gc --import tsx packages/devkit/bench/export-child.ts 10000
 */
import { jobTableStores } from '@receiptflow/adapters-local';
import { exportReceipts } from '@receiptflow/core';
import { BENCH_OWNER, seededTable } from './receipt-catalog-seed.js';

const MB = 2 ** 20;

async function main(n: number): Promise<void> {
  const { catalog } = jobTableStores(seededTable(n));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  let bytes = 0;
  let rows = -1; // the header line is not a receipt
  const started = performance.now();
  for await (const chunk of exportReceipts({ catalog }, BENCH_OWNER, 'csv')) {
    bytes += chunk.length;
    for (let i = chunk.indexOf('\r\n'); i >= 0; i = chunk.indexOf('\r\n', i + 2)) rows++;
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      receipts: rows,
      seconds,
      receipts_per_s: rows / seconds,
      csv_mb: bytes / MB,
      baseline_rss_mb: baseline / MB,
      peak_rss_mb: peak / MB,
      gc: gc !== undefined,
    })}\n`,
  );
}

await main(Number(process.argv[2]));
