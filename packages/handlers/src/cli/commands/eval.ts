import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  fieldHmean,
  normaliseField,
  scoreFields,
  sroieFields,
  type FieldScore,
  type Logger,
  type PlaceCandidate,
  UsageError,
} from '@receiptflow/core';
import {
  DEFAULT_RETRY,
  FsCachingOcrEngine,
  RetryingOcrEngine,
  TesseractOcrEngine,
  type OcrPreprocess,
} from '@receiptflow/adapters-local/ocr';
import * as z from 'zod';
import { createLogger } from '../../logging.js';
import { LocalRuntime } from '../../local/local-runtime.js';
import { processImages } from '../../local/process-image.js';
import { parseFlags, positiveInt, type Print } from '../args.js';
import { loadCatalog } from '../catalog.js';
import {
  confidenceBands,
  explainMiss,
  fieldPrf,
  round,
  type ConfidenceBand,
  type EvalReceipt,
  type FieldPrf,
  type LoggedTrace,
} from './eval-report.js';

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
  /** Answers given (a place_id) and how many of them were right. */
  answers: number;
  answers_right: number;
  answer_precision: number;
  places_calls: number;
  /** Of places_calls, the phone lookups (Text Search Enterprise; the rest are Text Search Pro). */
  places_phone_calls: number;
  places_calls_per_receipt: number;
  /** Receipts whose first Places answer failed validation, so a second lookup was made. */
  second_calls: number;
  field_hmean: number;
  receipts_per_minute: number;
  sources: Record<string, number>;
  embedding_tokens: number;
  failed: number;
  seconds: number;
  ocr: string;
}

export interface EvalJson extends EvalReport {
  fields: Record<string, FieldPrf>;
  confidence_bands: ConfidenceBand[];
  per_receipt: EvalReceipt[];
}

const PSM = z.enum(['3', '4', '6', '11']).transform(Number) as unknown as z.ZodType<3 | 4 | 6 | 11>;

/**
 * `receipts eval --dataset DIR --places CATALOG [--json] [--explain] [--limit N] [--ocr-cache DIR]
 * [--ocr-preprocess grey,w1200,sauvola] [--psm N] [--deskew]`: every `ID.jpg` with its `ID.json`
 * ground truth, in id order, through the local pipeline from empty memory. Repeat merchants later
 * in the order should be resolved from vector memory.
 */
export async function evalCommand(argv: string[], out: Print, err: Print): Promise<number> {
  const { values } = parseFlags(argv, {
    dataset: { type: 'string' },
    places: { type: 'string' },
    json: { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
    limit: { type: 'string' },
    'ocr-workers': { type: 'string' },
    'ocr-cache': { type: 'string' },
    'ocr-preprocess': { type: 'string' },
    psm: { type: 'string' },
    deskew: { type: 'boolean', default: false },
  });
  if (!values.dataset) throw new UsageError('--dataset DIR is required');
  if (!values.places) throw new UsageError('--places CATALOG is required');
  const dataset = values.dataset;
  const files = await readdir(dataset).catch(() => {
    throw new UsageError(`cannot read --dataset directory ${dataset}`);
  });
  const images = files
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .slice(0, positiveInt(values.limit, '--limit', Number.MAX_SAFE_INTEGER));
  if (images.length === 0) throw new UsageError(`no images in ${dataset}`);

  const catalog = await loadCatalog(values.places);
  const names = new Map(catalog.map((p: PlaceCandidate) => [p.place_id, p.name]));
  // The first read and the retry of a poor read are cached apart, so a change to the retry
  // policy reuses every first read.
  const options = {
    concurrency: positiveInt(values['ocr-workers'], '--ocr-workers', 1),
    ...ocrOptions(values['ocr-preprocess'], values.psm, values.deskew),
  };
  const settings = new TesseractOcrEngine(options).settings;
  const first = new TesseractOcrEngine({ ...options, retry: false });
  const second = new TesseractOcrEngine({ ...options, retry: false, preprocess: DEFAULT_RETRY.preprocess });
  const cached = (engine: TesseractOcrEngine) =>
    values['ocr-cache']
      ? new FsCachingOcrEngine(engine, { dir: values['ocr-cache'], settings: engine.settings })
      : engine;
  const ocr = new RetryingOcrEngine(cached(first), cached(second), DEFAULT_RETRY);
  const traces = new Map<string, LoggedTrace>();
  const calls = new Map<string, { places_calls: number; second_call: boolean }>();
  const runtime = await LocalRuntime.open({ logger: capturingLogger(traces, calls), catalog, ocr });

  const started = performance.now();
  const receipts: EvalReceipt[] = [];
  const imageIds = new Map<string, string>();
  const truths: z.infer<typeof Truth>[] = [];
  const scores: FieldScore[] = [];
  let failed = 0;
  let tokens: number;
  try {
    // In order, each receipt compacted before the next is resolved; the next image's OCR runs
    // meanwhile (processImages), so the pass takes about the OCR time, not OCR + the rest.
    const inputs = images.map((file) => ({ filename: file, bytes: () => readFile(join(dataset, file)) }));
    let n = -1;
    for await (const result of processImages(runtime, inputs)) {
      const file = images[++n]!;
      const id = file.replace(/\.[^.]+$/, '');
      const truth = Truth.parse(JSON.parse(await readFile(join(dataset, `${id}.json`), 'utf8')));
      if (result.job_status !== 'COMPLETED') failed++;
      const place = result.place;
      const [details] = await runtime.adapters.receipts.list(result.image_id);
      const lines = details ? [...details.lines].sort((a, b) => a.line_id - b.line_id) : [];
      const merchant = place?.place_id ? { name: place.merchant_name, address: place.address } : undefined;
      // The fields the results step stored: eval scores the pipeline's own extraction.
      const fields = sroieFields(
        details?.receipt.fields,
        lines.map((l) => l.text),
        merchant,
      );
      scores.push(scoreFields(fields, truth));
      const correct = truth.place_id !== undefined && place?.place_id === truth.place_id;
      const spent = calls.get(result.image_id) ?? { places_calls: 0, second_call: false };
      receipts.push({
        id,
        truth_place_id: truth.place_id ?? null,
        place_id: place?.place_id ?? null,
        merchant_name: place?.merchant_name ?? null,
        source: place?.source ?? 'none',
        confidence: place?.confidence ?? 0,
        correct,
        ...spent,
        reason: (traces.get(result.image_id) as { reason?: string } | undefined)?.reason ?? '',
        fields,
        fields_correct: Object.fromEntries(
          (['company', 'date', 'address', 'total'] as const)
            .filter((f) => truth[f])
            .map((f) => [f, fields[f] !== null && normaliseField(fields[f]!) === normaliseField(truth[f]!)]),
        ),
        seconds: round(result.ms / 1000),
      });
      truths.push(truth);
      imageIds.set(id, result.image_id);
      err(
        `[${n + 1}/${images.length}] ${id} ${place?.source ?? 'none'} ${correct ? 'ok' : 'MISS'} ${(result.ms / 1000).toFixed(1)}s`,
      );
    }
    tokens = runtime.adapters.embedder.tokensUsed;
  } finally {
    await runtime.stop();
    await Promise.all([first.terminate(), second.terminate()]);
  }

  const seconds = (performance.now() - started) / 1000;
  const totalCalls = runtime.adapters.catalog.calls.total;
  const answered = receipts.filter((r) => r.place_id !== null);
  const sources: Record<string, number> = { vector: 0, places: 0, none: 0 };
  for (const r of receipts) sources[r.source] = (sources[r.source] ?? 0) + 1;
  const report: EvalReport = {
    receipts: receipts.length,
    merchant_accuracy: round(receipts.filter((r) => r.correct).length / receipts.length),
    answers: answered.length,
    answers_right: answered.filter((r) => r.correct).length,
    answer_precision: answered.length === 0 ? 0 : round(answered.filter((r) => r.correct).length / answered.length),
    places_calls: totalCalls,
    places_phone_calls: runtime.adapters.catalog.calls.phone,
    places_calls_per_receipt: round(totalCalls / receipts.length),
    second_calls: receipts.filter((r) => r.second_call).length,
    field_hmean: round(fieldHmean(scores)),
    receipts_per_minute: round((receipts.length / seconds) * 60),
    sources,
    embedding_tokens: tokens,
    failed,
    seconds: round(seconds),
    ocr: settings,
  };
  const fields = fieldPrf(receipts, truths);
  const bands = confidenceBands(receipts);

  if (values.explain) {
    // Misses, and repeat visits that cost a Places call (memory should have answered them).
    const seen = new Set<string | null>();
    const worth = receipts.filter((x) => {
      const repeat = seen.has(x.truth_place_id);
      seen.add(x.truth_place_id);
      return !x.correct || (repeat && x.places_calls > 0);
    });
    for (const r of worth) {
      const logged = traces.get(imageIds.get(r.id) ?? '');
      for (const line of explainMiss(r, logged, r.truth_place_id ? (names.get(r.truth_place_id) ?? null) : null))
        out(line);
    }
  }
  if (values.json) {
    const json: EvalJson = { ...report, fields, confidence_bands: bands, per_receipt: receipts };
    out(JSON.stringify(json));
    return 0;
  }
  for (const [key, value] of Object.entries(report))
    out(`${key.padEnd(26)} ${typeof value === 'object' ? JSON.stringify(value) : value}`);
  for (const [field, f] of Object.entries(fields))
    out(`field ${field.padEnd(20)} P ${f.precision} R ${f.recall} F1 ${f.f1}`);
  for (const b of bands) out(`confidence ${b.band.padEnd(15)} ${b.right}/${b.answers} right`);
  return 0;
}

function ocrOptions(preprocess: string | undefined, psm: string | undefined, deskew: boolean) {
  const steps: Partial<OcrPreprocess> = {};
  for (const step of (preprocess ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (step === 'grey') steps.grey = true;
    else if (step === 'sauvola') steps.binarize = true;
    else if (/^w\d+$/.test(step)) steps.targetWidth = Number(step.slice(1));
    else throw new UsageError(`--ocr-preprocess: unknown step "${step}" (grey, wNNN, sauvola)`);
  }
  const mode = psm === undefined ? undefined : PSM.safeParse(psm);
  if (mode && !mode.success) throw new UsageError(`--psm must be 3, 4, 6 or 11, got "${psm}"`);
  return { preprocess: steps, ...(mode?.success ? { psm: mode.data } : {}), deskew };
}

/**
 * Keeps each receipt's resolution (the 'merchant resolved' line and its debug trace) by image id,
 * and prints only errors: the progress lines are the eval's own.
 */
function capturingLogger(
  traces: Map<string, LoggedTrace>,
  calls: Map<string, { places_calls: number; second_call: boolean }>,
): Logger {
  const printer = createLogger({ level: 'error', format: 'pretty' });
  const keep = (fields: Record<string, unknown> | undefined, patch: object) => {
    const id = typeof fields?.image_id === 'string' ? fields.image_id : null;
    if (id) traces.set(id, { ...traces.get(id), ...patch });
  };
  return {
    debug(message, fields) {
      if (message === 'merchant resolution trace') keep(fields, { signals: fields?.signals, trace: fields?.trace });
    },
    info(message, fields) {
      if (message !== 'merchant resolved' || typeof fields?.image_id !== 'string') return;
      calls.set(fields.image_id, {
        places_calls: Number(fields.places_calls ?? 0),
        second_call: fields.second_call === true,
      });
      keep(fields, { reason: fields.reason });
    },
    warn() {},
    error: (m, f) => printer.error(m, f),
  };
}
