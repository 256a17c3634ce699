import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { demoReceipts, renderReceipt, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { createLogger } from '../../logging.js';
import { LocalRuntime } from '../../local/local-runtime.js';
import { processImages, type ProcessedImage } from '../../local/process-image.js';
import { parseFlags, type Print } from '../args.js';
import { UsageError } from '@receiptflow/core';
import { loadCatalog } from '../catalog.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.heic', '.heif', '.pdf']);

/**
 * `receipts demo [--images DIR] [--places CATALOG] [--json] [--verbose]`: synthetic receipts
 * (several merchants, some visited twice, known ground truth) or a folder of real images,
 * through the full local pipeline, one row per receipt and a summary.
 */
export async function demoCommand(argv: string[], out: Print): Promise<number> {
  const { values } = parseFlags(argv, {
    images: { type: 'string' },
    places: { type: 'string' },
    json: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  });
  const logger = createLogger({ level: values.verbose ? 'info' : 'warn', format: 'pretty' });

  const inputs: { filename: string; bytes: () => Promise<Uint8Array>; expected: string | null }[] = [];
  let catalog = values.places ? await loadCatalog(values.places) : [];
  if (values.images) {
    const files = (
      await readdir(values.images).catch(() => {
        throw new UsageError(`cannot read --images directory ${values.images}`);
      })
    )
      .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
      .sort();
    if (files.length === 0) throw new UsageError(`no images (${[...IMAGE_EXTENSIONS].join(', ')}) in ${values.images}`);
    for (const f of files) inputs.push({ filename: f, bytes: () => readFile(join(values.images!, f)), expected: null });
  } else {
    if (!values.places) catalog = syntheticCatalog();
    for (const receipt of demoReceipts()) {
      inputs.push({
        filename: `${receipt.id}.png`,
        bytes: async () => (await renderReceipt(receipt.spec)).png,
        expected: receipt.truth.place_id,
      });
    }
  }

  const runtime = await LocalRuntime.open({ logger, catalog });
  const rows: (ProcessedImage & { expected: string | null })[] = [];
  try {
    if (!values.json) out(header());
    let n = 0;
    for await (const processed of processImages(runtime, inputs)) {
      const result = { ...processed, expected: inputs[n++]!.expected };
      rows.push(result);
      if (!values.json) out(row(result));
    }
  } finally {
    await runtime.stop();
  }

  const summary = summarise(rows, runtime.adapters.catalog.calls.total);
  if (values.json) out(JSON.stringify({ receipts: rows.map(toJson), summary }, null, 2));
  else out(formatSummary(summary));
  return 0;
}

function header(): string {
  return `${'receipt'.padEnd(18)} ${'merchant'.padEnd(30)} ${'place_id'.padEnd(24)} ${'source'.padEnd(7)} ${'ok'.padEnd(3)} time`;
}

function row(r: ProcessedImage & { expected: string | null }): string {
  const ok = r.expected === null ? '-' : r.place?.place_id === r.expected ? 'yes' : 'NO';
  const merchant =
    r.job_status === 'FAILED' ? `(failed: ${r.failure_reason ?? 'unknown'})` : (r.place?.merchant_name ?? '(none)');
  return `${r.filename.slice(0, 18).padEnd(18)} ${merchant.slice(0, 30).padEnd(30)} ${(r.place?.place_id ?? '-').slice(0, 24).padEnd(24)} ${(r.place?.source ?? '-').padEnd(7)} ${ok.padEnd(3)} ${(r.ms / 1000).toFixed(2)} s`;
}

interface DemoSummary {
  receipts: number;
  resolved: number;
  correct: number | null;
  sources: Record<string, number>;
  places_calls: number;
  compacted: number;
  total_seconds: number;
}

function summarise(rows: (ProcessedImage & { expected: string | null })[], placesCalls: number): DemoSummary {
  const sources: Record<string, number> = { vector: 0, places: 0, none: 0 };
  for (const r of rows) sources[r.place?.source ?? 'none'] = (sources[r.place?.source ?? 'none'] ?? 0) + 1;
  const withTruth = rows.filter((r) => r.expected !== null);
  return {
    receipts: rows.length,
    resolved: rows.filter((r) => r.place?.place_id).length,
    correct: withTruth.length > 0 ? withTruth.filter((r) => r.place?.place_id === r.expected).length : null,
    sources,
    places_calls: placesCalls,
    compacted: rows.filter((r) => r.compacted).length,
    total_seconds: Number((rows.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(2)),
  };
}

function formatSummary(s: DemoSummary): string {
  const correct = s.correct === null ? '' : `, ${s.correct}/${s.receipts} correct`;
  return [
    '',
    `${s.receipts} receipts: ${s.resolved} resolved${correct}; compacted ${s.compacted}/${s.receipts}`,
    `sources: vector memory ${s.sources.vector}, places ${s.sources.places}, none ${s.sources.none}; places calls ${s.places_calls}`,
    `total ${s.total_seconds} s (${(s.total_seconds / Math.max(1, s.receipts)).toFixed(2)} s per receipt)`,
  ].join('\n');
}

function toJson(r: ProcessedImage & { expected: string | null }) {
  return {
    filename: r.filename,
    image_id: r.image_id,
    merchant_name: r.place?.merchant_name ?? null,
    place_id: r.place?.place_id ?? null,
    source: r.place?.source ?? null,
    expected_place_id: r.expected,
    ms: Math.round(r.ms),
    compacted: r.compacted,
  };
}
