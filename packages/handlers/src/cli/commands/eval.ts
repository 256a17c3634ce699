import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractReceiptFields, fieldHmean, scoreFields, type FieldScore } from '@receiptflow/core';
import { z } from 'zod';
import { createLogger } from '../../logging.js';
import { LocalRuntime } from '../../local/local-runtime.js';
import { processImage } from '../../local/process-image.js';
import { parseFlags, positiveInt, UsageError } from '../args.js';
import { loadCatalog } from '../catalog.js';

const Truth = z.object({
  company: z.string().optional(),
  date: z.string().optional(),
  address: z.string().optional(),
  total: z.string().optional(),
  place_id: z.string().optional(),
});

export interface EvalReport {
  receipts: number;
  merchant_accuracy: number;
  places_calls: number;
  places_calls_per_receipt: number;
  field_hmean: number;
  receipts_per_minute: number;
  sources: Record<string, number>;
  embedding_tokens: number;
  failed: number;
  seconds: number;
}

/**
 * `receipts eval --dataset DIR --places CATALOG [--json] [--limit N]`: every `ID.jpg` with its
 * `ID.json` ground truth, in id order, through the local pipeline. Repeat merchants later in
 * the order should be resolved from vector memory.
 */
export async function evalCommand(argv: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const { values } = parseFlags(argv, {
    dataset: { type: 'string' },
    places: { type: 'string' },
    json: { type: 'boolean', default: false },
    limit: { type: 'string' },
    'ocr-workers': { type: 'string' },
  });
  if (!values.dataset) throw new UsageError('--dataset DIR is required');
  if (!values.places) throw new UsageError('--places CATALOG is required');
  const dataset = values.dataset;
  const ids = (await readdir(dataset).catch(() => {
    throw new UsageError(`cannot read --dataset directory ${dataset}`);
  }))
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .map((f) => f.replace(/\.[^.]+$/, ''))
    .sort()
    .slice(0, positiveInt(values.limit, '--limit', Number.MAX_SAFE_INTEGER));
  if (ids.length === 0) throw new UsageError(`no images in ${dataset}`);

  const catalog = await loadCatalog(values.places);
  const runtime = await LocalRuntime.open({
    logger: createLogger({ level: 'error', format: 'pretty' }),
    catalog,
    ocrWorkers: positiveInt(values['ocr-workers'], '--ocr-workers', 1),
  });
  const started = performance.now();
  let correct = 0;
  let failed = 0;
  let tokens = 0;
  const sources: Record<string, number> = { vector: 0, places: 0, none: 0 };
  const scores: FieldScore[] = [];
  try {
    for (const [n, id] of ids.entries()) {
      const file = (await readdir(dataset)).find((f) => f.startsWith(`${id}.`) && !f.endsWith('.json') && !f.endsWith('.csv'))!;
      const truth = Truth.parse(JSON.parse(await readFile(join(dataset, `${id}.json`), 'utf8')));
      const result = await processImage(runtime, file, await readFile(join(dataset, file)));
      if (result.job_status !== 'COMPLETED') failed++;
      const place = result.place;
      sources[place?.source ?? 'none'] = (sources[place?.source ?? 'none'] ?? 0) + 1;
      if (truth.place_id && place?.place_id === truth.place_id) correct++;
      const fields = extractReceiptFields(result.lines, place?.place_id ? { name: place.merchant_name, address: place.address } : undefined);
      scores.push(scoreFields(fields, truth));
      err(`[${n + 1}/${ids.length}] ${id} ${place?.source ?? 'none'} ${place?.place_id === truth.place_id ? 'ok' : 'MISS'} ${(result.ms / 1000).toFixed(1)}s`);
    }
    tokens = runtime.adapters.embedder.tokensUsed;
  } finally {
    await runtime.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const calls = runtime.adapters.catalog.calls.total;
  const report: EvalReport = {
    receipts: ids.length,
    merchant_accuracy: round(correct / ids.length),
    places_calls: calls,
    places_calls_per_receipt: round(calls / ids.length),
    field_hmean: round(fieldHmean(scores)),
    receipts_per_minute: round((ids.length / seconds) * 60),
    sources,
    embedding_tokens: tokens,
    failed,
    seconds: round(seconds),
  };
  if (values.json) out(JSON.stringify(report));
  else for (const [key, value] of Object.entries(report)) out(`${key.padEnd(26)} ${typeof value === 'object' ? JSON.stringify(value) : value}`);
  return 0;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
