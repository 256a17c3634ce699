import type {
  Clock,
  Embedder,
  ImageStore,
  JobStore,
  Logger,
  PlacesResolver,
  VectorIndex,
} from '../ports/index.js';
import type { ReceiptPlace } from '../domain/index.js';

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
}

export interface ProcessedReceipt {
  receipt_id: number;
  line_count: number;
  word_count: number;
  place: ReceiptPlace;
  run_id: string;
  /** Embedding tokens used (0 when the receipt already existed and nothing was embedded anew). */
  embedding_tokens: number;
}

export interface ProcessOcrResultsOutcome {
  job_id: string;
  image_id: string;
  receipts: ProcessedReceipt[];
  /** Individual rows that could not be used (e.g. empty words), reported, not fatal. */
  skipped: { what: string; reason: string }[];
}

/**
 * process-OCR-results for one `ocr-results-queue` message: builds receipt lines and words,
 * embeds them with context, resolves the merchant (vector memory first, then Places), writes
 * validated vector deltas and creates the CompactionRun. Idempotent: the same message twice
 * yields the same rows, deltas and run (deterministic ids), never duplicates.
 */
export async function processOcrResults(
  _deps: ProcessOcrResultsDeps,
  _message: unknown,
): Promise<ProcessOcrResultsOutcome> {
  throw new Error('not implemented');
}
