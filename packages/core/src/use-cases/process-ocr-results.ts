import {
  OcrDocumentSchema,
  OcrResultsMessageSchema,
  buildVectorDelta,
  classifyImage,
  decodeVectorDelta,
  deltaKey,
  deterministicRunId,
  encodeVectorDelta,
  parseMessageBody,
  type Collection,
  type CompactionRun,
  type ImageType,
  type OcrResultsMessage,
  type ReceiptDetails,
  type ReceiptPlace,
  type VectorRecord,
} from '../domain/index.js';
import { ConditionFailedError, NotFoundError, PoisonMessageError } from '../errors.js';
import { resolveMerchant } from '../merchant/resolve-merchant.js';
import type { MemoryThresholds } from '../merchant/thresholds.js';
import {
  isoNow,
  silentLogger,
  withFields,
  type Clock,
  type Embedder,
  type ImageStore,
  type JobStore,
  type Logger,
  type PlacesResolver,
  type VectorIndex,
} from '../ports/index.js';
import { buildReceiptsFromDocument } from '../layout/build-receipt.js';
import { embedReceipt, receiptVectorRecords } from '../merchant/receipt-vectors.js';

export interface ProcessOcrResultsDeps {
  jobs: JobStore;
  /** Where the OCR JSON is read from (message's s3_bucket must equal artifacts.bucket). */
  artifacts: ImageStore;
  /** Where vector deltas are written. */
  deltas: ImageStore;
  embedder: Embedder;
  /** Vector memory, queried only (compaction writes it). */
  vectors: VectorIndex;
  /** Should be a CachingPlacesResolver in production. */
  places: PlacesResolver;
  clock: Clock;
  logger?: Logger;
  /** Vector-memory thresholds; default: the documented values for the embedder's model. */
  memoryThresholds?: MemoryThresholds;
}

export interface ProcessedReceipt {
  receipt_id: number;
  line_count: number;
  word_count: number;
  place: ReceiptPlace;
  run_id: string;
  /** Embedding tokens used (0 when the receipt already existed and nothing was embedded anew). */
  embedding_tokens: number;
  /**
   * How the merchant was decided by THIS call, with the Places lookups it made; null when the
   * place was already stored (a redelivery), so that counts are not made twice.
   */
  resolved: { source: ReceiptPlace['source']; places_calls: number } | null;
}

export interface ProcessOcrResultsOutcome {
  job_id: string;
  image_id: string;
  receipts: ProcessedReceipt[];
  /** Individual rows that could not be used (e.g. empty words), reported, not fatal. */
  skipped: { what: string; reason: string }[];
}

/**
 * process-OCR-results for one `ocr-results-queue` message: builds the image's receipts (one
 * per receipt the layout finds, so a scan of three receipts gives receipts 1..3, each with its
 * lines and words in its own upright frame) and, for each one, embeds them with context, resolves the merchant (vector memory first, then Places), writes
 * validated vector deltas and creates the CompactionRun. Idempotent: the same message twice
 * yields the same rows, deltas and run (deterministic ids), never duplicates.
 *
 * Stored rows win over the document (lesson 6): a redelivery reuses the receipt and place it
 * finds. An image or job deleted meanwhile settles the message with no receipts and no writes.
 * Malformed messages and documents throw PoisonMessageError.
 */
export async function processOcrResults(deps: ProcessOcrResultsDeps, message: unknown): Promise<ProcessOcrResultsOutcome> {
  const msg = parseMessageBody<OcrResultsMessage>(message, OcrResultsMessageSchema, 'OCR results message');
  // Every line about this receipt carries the ids that tie it to its upload and its compaction.
  const logger = withFields(deps.logger ?? silentLogger, { image_id: msg.image_id, job_id: msg.job_id });
  const outcome: ProcessOcrResultsOutcome = { job_id: msg.job_id, image_id: msg.image_id, receipts: [], skipped: [] };
  if (msg.s3_bucket !== deps.artifacts.bucket) {
    throw new PoisonMessageError(`OCR results are in bucket ${msg.s3_bucket}, this step reads ${deps.artifacts.bucket}`);
  }
  if (!(await stillWanted(deps.jobs, msg))) {
    logger.info('ocr results for a deleted image or job; nothing to do');
    return outcome;
  }

  const document = await loadDocument(deps, msg);
  const built = buildReceiptsFromDocument(
    document,
    { image_id: msg.image_id, created_at: isoNow(deps.clock), image_type: await imageTypeOf(deps.jobs, msg, document) },
    outcome.skipped,
  );
  for (const s of outcome.skipped) logger.warn('ocr row skipped', { ...s });
  if (built.length !== msg.receipt_count) {
    // The worker counted with another build of the layout rules; the document decides.
    logger.warn('receipt count differs from the routing decision', { routed: msg.receipt_count, built: built.length });
  }

  const createdHere: number[] = [];
  for (const receipt of built) {
    const { created, details } = await deps.jobs.createReceipt(receipt);
    if (created) createdHere.push(receipt.receipt.receipt_id);
    const processed = await processReceipt(deps, msg, sortDetails(details), logger);
    if (!processed) {
      // Deleted while we worked: do not leave the rows we just wrote behind.
      for (const receipt_id of createdHere) await deps.jobs.deleteReceipt(msg.image_id, receipt_id);
      return { ...outcome, receipts: [] };
    }
    outcome.receipts.push(processed);
  }
  return outcome;
}

/** The image type the OCR step decided (its routing decision), or the document's own when absent. */
async function imageTypeOf(jobs: JobStore, msg: OcrResultsMessage, document: unknown): Promise<ImageType> {
  const routing = await jobs.getRoutingDecision(msg.job_id);
  if (routing) return routing.image_type;
  const parsed = OcrDocumentSchema.safeParse(document);
  return parsed.success ? classifyImage(parsed.data).image_type : 'SCAN';
}

async function stillWanted(jobs: JobStore, msg: OcrResultsMessage): Promise<boolean> {
  const [job, image] = await Promise.all([jobs.getJob(msg.job_id), jobs.getImage(msg.image_id)]);
  return job !== null && image !== null && job.image_id === msg.image_id;
}

async function loadDocument(deps: ProcessOcrResultsDeps, msg: OcrResultsMessage): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = (await deps.artifacts.get(msg.s3_key)).body;
  } catch (error) {
    if (error instanceof NotFoundError) throw new PoisonMessageError(`OCR document ${msg.s3_key} does not exist`, { cause: error });
    throw error;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new PoisonMessageError(`OCR document ${msg.s3_key} is not JSON (${bytes.length} bytes)`, { cause: error });
  }
}

function sortDetails(d: ReceiptDetails): ReceiptDetails {
  return {
    receipt: d.receipt,
    lines: [...d.lines].sort((a, b) => a.line_id - b.line_id),
    words: [...d.words].sort((a, b) => a.line_id - b.line_id || a.word_id - b.word_id),
  };
}

async function processReceipt(
  deps: ProcessOcrResultsDeps,
  msg: OcrResultsMessage,
  details: ReceiptDetails,
  logger: Logger,
): Promise<ProcessedReceipt | null> {
  const { image_id, receipt_id } = details.receipt;
  const run_id = deterministicRunId(image_id, receipt_id, msg.job_id);
  const [existingRun, existingPlace] = await Promise.all([
    deps.jobs.getCompactionRun(image_id, receipt_id, run_id),
    deps.jobs.getReceiptPlace(image_id, receipt_id),
  ]);
  const summary = (place: ReceiptPlace, embedding_tokens: number, resolved: ProcessedReceipt['resolved']): ProcessedReceipt => ({
    receipt_id,
    line_count: details.lines.length,
    word_count: details.words.length,
    place,
    run_id,
    embedding_tokens,
    resolved,
  });
  if (existingRun && existingPlace) return summary(existingPlace, 0, null);

  const lineTexts = details.lines.map((l) => l.text);
  const { lineVectors, wordVectors, tokens } = await embedReceipt(deps.embedder, details);

  let place = existingPlace;
  let resolved: ProcessedReceipt['resolved'] = null;
  if (!place) {
    const resolution = await resolveMerchant(deps, lineTexts, { lineVectors, excludeImageId: image_id });
    logger.info('merchant resolved', {
      receipt_id,
      source: resolution.source,
      reason: resolution.reason,
      places_calls: resolution.places_calls,
      second_call: resolution.second_call,
    });
    // Everything the decision looked at, for `pnpm eval --explain` and debugging a wrong answer.
    logger.debug('merchant resolution trace', { receipt_id, signals: resolution.signals, trace: resolution.trace });
    resolved = { source: resolution.source, places_calls: resolution.places_calls };
    place = {
      image_id,
      receipt_id,
      merchant_name: resolution.merchant_name,
      place_id: resolution.place_id,
      address: resolution.address,
      phone: resolution.phone,
      confidence: resolution.confidence,
      source: resolution.source,
      evidence: resolution.evidence,
      created_at: isoNow(deps.clock),
    };
  }

  const records = receiptVectorRecords(details, { lineVectors, wordVectors }, place);
  const deltaKeys = {} as Record<Collection, string>;
  for (const collection of ['lines', 'words'] as const) {
    deltaKeys[collection] = await writeDelta(deps, { run_id, image_id, receipt_id, collection }, records[collection]);
  }

  if (!(await stillWanted(deps.jobs, msg))) {
    for (const key of Object.values(deltaKeys)) await deps.deltas.delete(key);
    logger.info('image or job deleted during processing; settled without writing', { receipt_id });
    return null;
  }
  if (!existingPlace) await deps.jobs.putReceiptPlace(place);
  if (!existingRun) await createRun(deps, runFor({ run_id, image_id, receipt_id, job_id: msg.job_id }, deltaKeys, records, isoNow(deps.clock)));
  return summary(place, tokens, resolved);
}

/**
 * Writes a delta, then reads it back and validates it before anything points at it (lesson 12):
 * a run is only created for deltas that parse, count and checksum correctly where they are stored.
 */
async function writeDelta(
  deps: ProcessOcrResultsDeps,
  header: { run_id: string; image_id: string; receipt_id: number; collection: Collection },
  records: VectorRecord[],
): Promise<string> {
  const key = deltaKey(header.collection, header.run_id);
  const bytes = encodeVectorDelta(buildVectorDelta(header, deps.embedder.dimensions, records));
  await deps.deltas.put(key, bytes, {
    contentType: 'application/json',
    metadata: { run_id: header.run_id, collection: header.collection, count: records.length },
  });
  const stored = await deps.deltas.get(key);
  decodeVectorDelta(stored.body, header);
  return key;
}

function runFor(
  ids: Pick<CompactionRun, 'run_id' | 'image_id' | 'receipt_id' | 'job_id'>,
  keys: Record<Collection, string>,
  records: Record<Collection, VectorRecord[]>,
  now: string,
): CompactionRun {
  const progress = (c: Collection) => ({
    state: 'PENDING' as const,
    delta_key: keys[c],
    vector_count: records[c].length,
    merged_count: null,
    error: null,
    updated_at: now,
  });
  return { ...ids, created_at: now, lines: progress('lines'), words: progress('words') };
}

async function createRun(deps: ProcessOcrResultsDeps, run: CompactionRun): Promise<void> {
  try {
    await deps.jobs.createCompactionRun(run);
  } catch (error) {
    // A concurrent redelivery created it (with its own timestamps): same run, same deltas.
    if (!(error instanceof ConditionFailedError)) throw error;
    const stored = await deps.jobs.getCompactionRun(run.image_id, run.receipt_id, run.run_id);
    if (!stored) throw error;
  }
}
