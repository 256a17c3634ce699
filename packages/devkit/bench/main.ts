/**
 * `pnpm bench [--quick] [--json]`: the performance goals P1–P6 as ratios measured side by side in
 * one run (docs/benchmarks.md has the method). Progress goes to stderr; the table, or with
 * --json one object, to stdout. Each goal group is measured in its own file (p5-cold-start,
 * p3-pipeline, p1-p2-p4-indexes, p6-cost); this one runs them in order and prints the report.
 */
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '@receiptflow/core';
import { createLogger } from '@receiptflow/handlers/cli';
import { measureBigDelta } from './big-delta.js';
import { loadCorpus } from './corpus.js';
import { measureIndexGoals } from './p1-p2-p4-indexes.js';
import { measureP3 } from './p3-pipeline.js';
import { measureP5 } from './p5-cold-start.js';
import { measureP6 } from './p6-cost.js';
import { measureP7 } from './p7-scale.js';
import { measureP8 } from './p8-serve.js';
import { runPipelinePass } from './pipeline.js';
import { measurePdfTextLayer } from './pdf-text-layer.js';
import { describeTiming, PartTimer } from './part-timer.js';
import { writeReport } from './out-file.js';
import { header, parseBenchArgs, type BenchArgs } from './plan.js';
import { measureReceiptExport, measureReceiptListing, RECEIPT_READ_SIZES } from './receipt-reads.js';
import { measureReceiptWrites } from './receipt-writes.js';
import { formatTable, verdicts } from './report.js';
import { round } from './stats.js';
import { fixedCostByMode } from './storage-costs.js';
import { measureVectorStorage } from './vector-storage.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** P5 builds and times the handlers package's Lambda bundles; P8 runs its `receipts serve`. */
const handlersDir = join(repoRoot, 'packages', 'handlers');

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

async function vectorStorage(sizes: number[]): Promise<Record<string, unknown>> {
  return {
    ...(await measureVectorStorage({ sizes, chroma: true, progress })),
    ...(await fixedCostByMode(repoRoot)),
  };
}

/** A run of one part (`--scale`, `--only`): its figures and the machine's load, as JSON (and to `--out`). */
async function printPartial(out: Record<string, unknown>, started: number, args: BenchArgs): Promise<number> {
  (out.machine as Record<string, unknown>).load_average_1m_at_end = round(loadavg()[0]!, 2);
  out.seconds = round((performance.now() - started) / 1000, 1);
  if (args.scale) out.complete = true;
  await saveReport(out, args.out);
  process.stdout.write(`${JSON.stringify(out, null, args.json ? undefined : 2)}\n`);
  return 0;
}

/** `--out FILE` (or a `--scale` run's default file): the report as JSON there too. */
async function saveReport(out: Record<string, unknown>, file: string | undefined): Promise<void> {
  if (file === undefined) return;
  await writeReport(file, out);
  progress(`report written to ${file}`);
}

async function main(argv: string[]): Promise<number> {
  const args = parseBenchArgs(argv, repoRoot);
  const { plan } = args;
  const logger = createLogger({ level: 'error', format: 'pretty' });
  const started = performance.now();
  const out = header(plan);
  if (args.scale) {
    // P7 alone: an optional run of its own (an hour at 1m), never part of the full bench.
    // Written after each mode too: the second mode's hour can fail without losing the first's.
    out.complete = false;
    out.p7 = await measureP7(args.scale.vectors, args.scale.modes, progress, (partial) =>
      saveReport({ ...out, p7: partial }, args.out),
    );
    return printPartial(out, started, args);
  }
  if (args.only === 'vector_storage') {
    out.vector_storage = await vectorStorage(plan.vectorStorageSizes);
    return printPartial(out, started, args);
  }
  if (args.only === 'p2') {
    // The local indexes' goals alone: OCR only the receipts the hot path replays (a few more, in
    // case some read no text), no Chroma.
    const corpus = await loadCorpus(args.dataset, args.places);
    const images = corpus.images.slice(0, plan.hotPathReceipts + 5);
    progress(`P2: OCR of ${images.length} receipts to replay`);
    const pass = await runPipelinePass(corpus, images, logger);
    const { figures } = await measureIndexGoals(corpus, pass, plan, logger, progress, { chroma: false });
    Object.assign(out, figures);
    return printPartial(out, started, args);
  }
  if (args.only === 'p8') {
    Object.assign(out, await measureP8(await loadCorpus(args.dataset, args.places), plan, handlersDir, progress));
    return printPartial(out, started, args);
  }
  // Each part timed (wall and CPU), so a run says where its minutes went: --quick must fit 5.
  const timer = new PartTimer({ onPart: (name, t) => progress(`${name} done: ${describeTiming(t)} s`) });
  const part = timer.time.bind(timer);
  // P5 first: fresh processes, before this one holds gigabytes of index.
  progress('P5: building bundles and timing cold starts');
  Object.assign(out, await part('p5', () => measureP5(handlersDir, plan)));
  if (args.only === 'p5') {
    // Only P5's goals: the others were not measured in this run.
    out.goals = Object.fromEntries(Object.entries(verdicts(out)).filter(([key]) => key.startsWith('p5_')));
    return printPartial(out, started, args);
  }
  const corpus = await loadCorpus(args.dataset, args.places);
  const p3 = await part('p3', () => measureP3(corpus, plan, logger, progress));
  Object.assign(out, p3.figures);
  // P8 next to P3: both time OCR on the corpus, before this process holds the large indexes.
  Object.assign(out, await part('p8', () => measureP8(corpus, plan, handlersDir, progress)));
  const indexGoals = await part('p1_p2_p4', () => measureIndexGoals(corpus, p3.pass, plan, logger, progress));
  Object.assign(out, indexGoals.figures);
  Object.assign(out, await part('p6', () => measureP6(args.evalJson, p3.pass, indexGoals.hot)));
  progress(`vector storage modes: efs, s3 and server at ${plan.vectorStorageSizes.join(' and ')} vectors`);
  out.vector_storage = await part('vector_storage', () => vectorStorage(plan.vectorStorageSizes));
  out.receipt_writes = await part('receipt_writes', () => measureReceiptWrites(progress));
  out.big_delta = await part('big_delta', () => measureBigDelta(progress, { quick: plan.mode === 'quick' }));
  out.pdf = await part('pdf', () => measurePdfTextLayer({ quick: plan.mode === 'quick' }, progress));
  const readSizes = RECEIPT_READ_SIZES[plan.mode];
  const listing = await part('receipt_list', () => measureReceiptListing(readSizes, progress));
  out.receipt_list = listing;
  out.receipt_list_p50_ratio = listing.p50_ratio;
  out.receipt_list_p95_ratio = listing.p95_ratio;
  const exported = await part('receipt_export', () => measureReceiptExport(readSizes, progress));
  out.receipt_export = exported;
  out.receipt_export_rss_growth_mb = exported.rss_growth_mb;
  out.part_timings = timer.timings;
  progress(timer.summary());
  (out.machine as Record<string, unknown>).load_average_1m_at_end = round(loadavg()[0]!, 2);
  out.seconds = round((performance.now() - started) / 1000, 1);
  out.goals = verdicts(out);
  await saveReport(out, args.out);
  process.stdout.write(`${args.json ? JSON.stringify(out) : formatTable(out)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
