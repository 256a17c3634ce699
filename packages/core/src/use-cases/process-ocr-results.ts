import {
  OcrDocumentSchema,
  OcrResultsMessageSchema,
  VECTOR_DELTA_CONTENT_TYPE,
  classifyImage,
  deltaKey,
  deterministicRunId,
  encodeVectorDeltaStream,
  inReadingOrder,
  newCompactionRun,
  parseMessageBody,
  readVectorDelta,
  type Collection,
  type CompactionRun,
  type ImageRecord,
  type ImageType,
  type OcrResultsMessage,
  type ReceiptDetails,
  type Receipt,
  type ReceiptPlace,
  type VectorRecord,
} from '../domain/index.js';
import { ConditionFailedError, CorruptDeltaError, NotFoundError, PoisonMessageError } from '../errors.js';
import { receiptPlaceFrom } from '../merchant/receipt-place.js';
import { resolveMerchant } from '../merchant/resolve-merchant.js';
import type { MemoryThresholds } from '../merchant/thresholds.js';
import {
  isoNow,
  silentLogger,
  withFields,
  type Clock,
  type Embedder,
  type ImageStore,
  type NamedImageStore,
  type CompactionRunStore,
  type OcrJobStore,
  type ReceiptStore,
  type Logger,
  type PlacesResolver,
  type VectorIndex,
} from '../ports/index.js';
import { buildReceiptsFromDocument } from '../layout/build-receipt.js';
import { embedReceipt, receiptVectorRecords } from '../merchant/receipt-vectors.js';
import type { FieldExtractionOptions } from '../extraction/index.js';
import { createReceiptWithFields } from './store-receipt-fields.js';
import { flagPossibleDuplicate } from './possible-duplicate.js';

export interface ProcessOcrResultsDeps {
  jobs: OcrJobStore;
  receipts: ReceiptStore;
  runs: CompactionRunStore;
  /** Where the OCR JSON is read from (message's s3_bucket must equal artifacts.bucket). */
  artifacts: NamedImageStore;
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
  /**
   * Default currency and date order for the fields stored with each receipt
   * ({@link createReceiptWithFields}, docs/fields.md); default USD.
   */
  fields?: FieldExtractionOptions;
}

export interface ProcessedReceipt {
  receipt_id: number;
  line_count: number;
  word_count: number;
  place: ReceiptPlace;
  run_id: string;
  /**
   * Tokens of the receipt's embedding call (0 when the receipt already existed and nothing was
   * embedded anew); the ≤ 8 signature lines memory embedded first are not counted here.
   */
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
 * lines and words in its own upright frame) and, for each one, embeds them with context,
 * resolves the merchant (vector memory first, then Places), writes validated vector deltas and
 * creates the CompactionRun. Idempotent: the same message twice yields the same rows, deltas and
 * run (deterministic ids), never duplicates.
 *
 * Stored rows win over the document (docs/lessons.md#lesson-6-a-redelivery-overwrote-enriched-rows):
 * a redelivery reuses the receipt and place it finds, and a person's place (`source: 'user'`) and
 * fields are never replaced. An image or job deleted meanwhile settles the message with no
 * receipts and no writes; a receipt a person deleted (its tombstone) is skipped, and removed
 * again if the delete ran while it was being written. Each receipt stored is flagged
 * `possible_duplicate_of` an earlier one of the same owner with equal merchant, date and total.
 * Malformed messages and documents throw PoisonMessageError.
 *
 * @example
 * const outcome = await processOcrResults(
 *   { jobs, receipts, runs, artifacts, deltas, embedder, vectors, places, clock, logger },
 *   JSON.stringify({ image_id, job_id, s3_bucket: artifacts.bucket, s3_key: `ocr/${image_id}/${job_id}.json`, receipt_count: 1 }),
 * );
 * outcome.receipts[0]?.place.merchant_name; // e.g. 'Blue Bottle Coffee'
 */
export async function processOcrResults(
  deps: ProcessOcrResultsDeps,
  message: unknown,
): Promise<ProcessOcrResultsOutcome> {
  const msg = parseResultsMessage(deps, message);
  // Every line about this receipt carries the ids that tie it to its upload and its compaction.
  const logger = withFields(deps.logger ?? silentLogger, { image_id: msg.image_id, job_id: msg.job_id });
  const outcome: ProcessOcrResultsOutcome = { job_id: msg.job_id, image_id: msg.image_id, receipts: [], skipped: [] };
  const image = await wantedImage(deps.jobs, msg);
  if (!image) {
    logger.info('ocr results for a deleted image or job; nothing to do');
    return outcome;
  }

  if (await allDeleted(deps.receipts, msg)) {
    logger.info('ocr results for receipts a person deleted; nothing to do');
    return outcome;
  }

  const built = withOwner(await buildReceipts(deps, msg, outcome.skipped, logger), image);
  const createdHere: number[] = [];
  for (const receipt of built) {
    const { receipt_id } = receipt.receipt;
    // A person deleted this receipt: its tombstone keeps it deleted (deleteReceipt).
    if (await deps.receipts.getTombstone(msg.image_id, receipt_id)) continue;
    const { created, details } = await createReceiptWithFields(deps.receipts, receipt, deps.fields);
    if (created) createdHere.push(receipt_id);
    const processed = await processReceipt(deps, msg, inReadingOrder(details), logger);
    if (!processed) {
      // Deleted while we worked: do not leave the rows we just wrote behind.
      for (const id of createdHere) await deps.receipts.delete(msg.image_id, id);
      return { ...outcome, receipts: [] };
    }
    if (await deps.receipts.getTombstone(msg.image_id, receipt_id)) {
      // Deleted while we worked on it (the delete's row removal may have run before our create).
      await deps.receipts.delete(msg.image_id, receipt_id);
      continue;
    }
    await flagPossibleDuplicate(deps, details.receipt, processed.place);
    outcome.receipts.push(processed);
  }
  return outcome;
}

/** Every receipt the message makes was deleted by a person: nothing to read or write. */
async function allDeleted(receipts: ReceiptStore, msg: OcrResultsMessage): Promise<boolean> {
  if (msg.receipt_count === 0) return false;
  for (let receipt_id = 1; receipt_id <= msg.receipt_count; receipt_id++) {
    if (!(await receipts.getTombstone(msg.image_id, receipt_id))) return false;
  }
  return true;
}

/**
 * One receipt: skip it when a redelivery finds its run and decided place already stored;
 * otherwise resolve the merchant first (unless a decided place is stored), then embed the rest
 * of the receipt, write the deltas, and only then — if the image is still wanted — store the
 * place and create the run that points at the deltas. A place PENDING since a Places outage is
 * resolved again with the vectors of the stored delta, and only the place is rewritten.
 * Null when the image or job was deleted meanwhile (its deltas are removed again).
 */
async function processReceipt(
  deps: ProcessOcrResultsDeps,
  msg: OcrResultsMessage,
  details: ReceiptDetails,
  logger: Logger,
): Promise<ProcessedReceipt | null> {
  const { image_id, receipt_id } = details.receipt;
  const run_id = deterministicRunId(image_id, receipt_id, msg.job_id);
  const stored = await storedResults(deps, details.receipt, run_id);
  const summary = (
    place: ReceiptPlace,
    embedding_tokens: number,
    resolved: ProcessedReceipt['resolved'],
  ): ProcessedReceipt => ({
    receipt_id,
    line_count: details.lines.length,
    word_count: details.words.length,
    place,
    run_id,
    embedding_tokens,
    resolved,
  });
  // A place still PENDING (Places was down) is not an answer: resolution is tried again.
  const decided = stored.place && stored.place.merchant_retry?.state !== 'PENDING' ? stored.place : null;
  if (stored.run && decided) return summary(decided, 0, null);

  // The merchant is resolved BEFORE the receipt is embedded: memory needs only the ≤ 8 signature
  // lines, so a Places outage costs those, not the whole receipt (issue 20, item 6). A retry
  // after the deltas were written reads the line vectors back from the stored delta instead.
  const retryOnly = stored.run !== null && stored.place !== null;
  const { place, resolved, knownLines } = decided
    ? { place: decided, resolved: null, knownLines: new Map<number, readonly number[]>() }
    : await resolvePlace(
        deps,
        details,
        stored.place,
        retryOnly ? await storedLineVectors(deps, stored.run!, details) : undefined,
        logger,
      );
  if (retryOnly) {
    // Only the merchant was pending: the deltas and the run exist, and a change of merchant
    // reaches the vectors through the stream (place MODIFY → update_metadata).
    if (!(await stillWanted(deps.jobs, msg))) return null;
    return summary(await putResolvedPlace(deps.receipts, place), 0, resolved);
  }

  const embeddings = await embedReceipt(deps.embedder, details, knownLines);
  const records = receiptVectorRecords(details, embeddings, place);
  const deltaKeys = {
    lines: await writeDelta(deps, { run_id, image_id, receipt_id, collection: 'lines' }, records.lines),
    words: await writeDelta(deps, { run_id, image_id, receipt_id, collection: 'words' }, records.words),
  };

  if (!(await stillWanted(deps.jobs, msg))) {
    for (const key of Object.values(deltaKeys)) await deps.deltas.delete(key);
    logger.info('image or job deleted during processing; settled without writing', { receipt_id });
    return null;
  }
  const kept = decided ?? (await putResolvedPlace(deps.receipts, place));
  if (!stored.run) {
    const counts = { lines: records.lines.length, words: records.words.length };
    await createRun(
      deps,
      newCompactionRun({ run_id, image_id, receipt_id, job_id: msg.job_id }, deltaKeys, counts, isoNow(deps.clock)),
    );
  }
  return summary(kept, embeddings.tokens, resolved);
}

/**
 * Stores the place resolution decided, unless a person corrected the merchant while it ran: a
 * user's place is never replaced by reprocessing. Returns the place stored afterwards.
 */
async function putResolvedPlace(receipts: ReceiptStore, place: ReceiptPlace): Promise<ReceiptPlace> {
  const current = await receipts.getPlace(place.image_id, place.receipt_id);
  if (current?.source === 'user') return current;
  await receipts.putPlace(place);
  return place;
}

/* ---- the steps, in the order the story above takes them ---- */

/** The message, checked against the bucket this step reads (another bucket is poison). */
function parseResultsMessage(deps: ProcessOcrResultsDeps, message: unknown): OcrResultsMessage {
  const msg = parseMessageBody<OcrResultsMessage>(message, OcrResultsMessageSchema, 'OCR results message');
  if (msg.s3_bucket !== deps.artifacts.bucket) {
    throw new PoisonMessageError(
      `OCR results are in bucket ${msg.s3_bucket}, this step reads ${deps.artifacts.bucket}`,
    );
  }
  return msg;
}

/** The message's image while it and its job still exist (a delete may have removed either), else null. */
async function wantedImage(jobs: OcrJobStore, msg: OcrResultsMessage): Promise<ImageRecord | null> {
  const [job, image] = await Promise.all([jobs.getJob(msg.job_id), jobs.getImage(msg.image_id)]);
  return job !== null && image !== null && job.image_id === msg.image_id ? image : null;
}

async function stillWanted(jobs: OcrJobStore, msg: OcrResultsMessage): Promise<boolean> {
  return (await wantedImage(jobs, msg)) !== null;
}

/** Receipts belong to their image's owner; rows of the default owner keep `owner` absent. */
function withOwner(built: ReceiptDetails[], image: ImageRecord): ReceiptDetails[] {
  if (image.owner === undefined) return built;
  return built.map((d) => ({ ...d, receipt: { ...d.receipt, owner: image.owner } }));
}

/** The receipts the OCR document holds, laid out; unusable rows are reported into `skipped`. */
async function buildReceipts(
  deps: ProcessOcrResultsDeps,
  msg: OcrResultsMessage,
  skipped: ProcessOcrResultsOutcome['skipped'],
  logger: Logger,
): Promise<ReceiptDetails[]> {
  const document = await loadDocument(deps, msg);
  const image_type = await imageTypeOf(deps.jobs, msg, document);
  const built = buildReceiptsFromDocument(
    document,
    { image_id: msg.image_id, created_at: isoNow(deps.clock), image_type },
    skipped,
  );
  for (const s of skipped) logger.warn('ocr row skipped', { ...s });
  if (built.length !== msg.receipt_count) {
    // The worker counted with another build of the layout rules; the document decides.
    logger.warn('receipt count differs from the routing decision', { routed: msg.receipt_count, built: built.length });
  }
  return built;
}

async function loadDocument(deps: ProcessOcrResultsDeps, msg: OcrResultsMessage): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = (await deps.artifacts.get(msg.s3_key)).body;
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new PoisonMessageError(`OCR document ${msg.s3_key} does not exist`, { cause: error });
    throw error;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new PoisonMessageError(`OCR document ${msg.s3_key} is not JSON (${bytes.length} bytes)`, { cause: error });
  }
}

/** The image type the OCR step decided (its routing decision), or the document's own when absent. */
async function imageTypeOf(jobs: OcrJobStore, msg: OcrResultsMessage, document: unknown): Promise<ImageType> {
  const routing = await jobs.getRoutingDecision(msg.job_id);
  if (routing) return routing.image_type;
  const parsed = OcrDocumentSchema.safeParse(document);
  return parsed.success ? classifyImage(parsed.data).image_type : 'SCAN';
}

/** What an earlier delivery of this message already stored for the receipt. */
async function storedResults(
  deps: { receipts: ReceiptStore; runs: CompactionRunStore },
  receipt: Receipt,
  run_id: string,
) {
  const [run, place] = await Promise.all([
    deps.runs.get({ image_id: receipt.image_id, receipt_id: receipt.receipt_id, run_id }),
    deps.receipts.getPlace(receipt.image_id, receipt.receipt_id),
  ]);
  return { run, place };
}

/**
 * Resolutions of one receipt whose Places lookup failed, before its merchant is given up as
 * UNRESOLVED. Each is one sweep re-send (every few minutes; see recoverUnfinishedWork), so a
 * Places outage of about this many sweep periods is bridged. Never a queue retry: an outage must
 * not walk a message to the DLQ.
 */
export const MAX_MERCHANT_ATTEMPTS = 5;

/**
 * Resolves the merchant (vector memory, then Places) and logs how it was decided. When Places
 * fails, the place is the merchant as printed, marked PENDING (or UNRESOLVED once
 * {@link MAX_MERCHANT_ATTEMPTS} resolutions failed), and nothing is thrown.
 */
async function resolvePlace(
  deps: ProcessOcrResultsDeps,
  details: ReceiptDetails,
  previous: ReceiptPlace | null,
  lineVectors: number[][] | undefined,
  logger: Logger,
): Promise<{
  place: ReceiptPlace;
  resolved: NonNullable<ProcessedReceipt['resolved']>;
  knownLines: ReadonlyMap<number, readonly number[]>;
}> {
  const { image_id, receipt_id } = details.receipt;
  const lineTexts = details.lines.map((l) => l.text);
  const resolution = await resolveMerchant(deps, lineTexts, {
    ...(lineVectors ? { lineVectors } : {}),
    excludeImageId: image_id,
  });
  const now = isoNow(deps.clock);
  let place = receiptPlaceFrom(resolution, details.receipt, previous?.created_at ?? now);
  if (resolution.places_error !== undefined) {
    const attempts = (previous?.merchant_retry?.attempts ?? 0) + 1;
    place = {
      ...place,
      merchant_retry: {
        state: attempts >= MAX_MERCHANT_ATTEMPTS ? 'UNRESOLVED' : 'PENDING',
        attempts,
        last_error: resolution.places_error,
        last_attempt_at: now,
      },
    };
    logger.warn('merchant pending: places failed', {
      receipt_id,
      attempts,
      state: place.merchant_retry!.state,
      error: resolution.places_error,
    });
  }
  logger.info('merchant resolved', {
    receipt_id,
    source: resolution.source,
    reason: resolution.reason,
    places_calls: resolution.places_calls,
    second_call: resolution.second_call,
  });
  // Everything the decision looked at, for `pnpm eval --explain` and debugging a wrong answer.
  logger.debug('merchant resolution trace', { receipt_id, signals: resolution.signals, trace: resolution.trace });
  return {
    place,
    resolved: { source: resolution.source, places_calls: resolution.places_calls },
    knownLines: resolution.signature_vectors,
  };
}

/**
 * The line vectors of a receipt whose run exists, read back from its lines delta, so retrying
 * its merchant costs no embedding. Undefined when the delta is gone (compacted and cleaned up):
 * resolution then embeds the signature lines only.
 */
async function storedLineVectors(
  deps: ProcessOcrResultsDeps,
  run: CompactionRun,
  details: ReceiptDetails,
): Promise<number[][] | undefined> {
  const { image_id, receipt_id, run_id } = run;
  // Only the lines delta, streamed; a receipt's lines are few, so holding their vectors is cheap.
  const byLine = new Map<unknown, number[]>();
  try {
    await readVectorDelta((await deps.deltas.getStream(run.lines.delta_key)).body, {
      expected: { run_id, image_id, receipt_id, collection: 'lines' },
      onRecord: (r) => byLine.set(r.metadata.line_id, [...r.vector]),
    });
  } catch (error) {
    // Gone or unreadable: the signature lines are embedded again (compaction reports corruption).
    if (error instanceof NotFoundError || error instanceof CorruptDeltaError) return undefined;
    throw error;
  }
  const vectors = details.lines.map((l) => byLine.get(l.line_id));
  return vectors.every((v) => v !== undefined) ? vectors : undefined;
}

/**
 * Writes a delta, then reads it back and validates it before anything points at it
 * (docs/lessons.md#lesson-12-corrupt-deltas-published-while-still-open): a run is only created
 * for deltas that parse, count and checksum correctly where they are stored. Both ways are
 * streams (format 2, vector-delta-stream.ts): a 3,000-word receipt's words delta is never held
 * encoded, and the read-back keeps no records, only counts them.
 */
async function writeDelta(
  deps: ProcessOcrResultsDeps,
  header: { run_id: string; image_id: string; receipt_id: number; collection: Collection },
  records: VectorRecord[],
): Promise<string> {
  const key = deltaKey(header.collection, header.run_id);
  await deps.deltas.putStream(key, encodeVectorDeltaStream(header, deps.embedder.dimensions, records), {
    contentType: VECTOR_DELTA_CONTENT_TYPE,
    metadata: { run_id: header.run_id, collection: header.collection, count: records.length },
  });
  const stored = await deps.deltas.getStream(key);
  const summary = await readVectorDelta(stored.body, { expected: header });
  if (summary.count !== records.length) {
    throw new CorruptDeltaError(`delta ${key} holds ${summary.count} records, ${records.length} were written`);
  }
  return key;
}

async function createRun(deps: ProcessOcrResultsDeps, run: CompactionRun): Promise<void> {
  try {
    await deps.runs.create(run);
  } catch (error) {
    // A concurrent redelivery created it (with its own timestamps): same run, same deltas.
    if (!(error instanceof ConditionFailedError)) throw error;
    const stored = await deps.runs.get({ image_id: run.image_id, receipt_id: run.receipt_id, run_id: run.run_id });
    if (!stored) throw error;
  }
}
