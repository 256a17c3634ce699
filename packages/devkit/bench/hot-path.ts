import { crc32 } from 'node:zlib';
import {
  inspectImage,
  runOcrJob,
  submitJob,
  type CompactionMessage,
  type Logger,
  type OcrDocument,
  type PlaceCandidate,
  type VectorIndex,
} from '@receiptflow/core';
import {
  compactionHandlerFrom,
  createLocalContainer,
  openLocalAdapters,
  processOcrResultsHandlerFrom,
  type LocalAdapters,
} from '@receiptflow/handlers/local';
import { ReplayOcrEngine } from './corpus.js';

/** A receipt already OCR'd: its image (the job needs one) and its document. */
export interface PreparedReceipt {
  filename: string;
  bytes: Uint8Array;
  document: OcrDocument;
}

/**
 * The local container wired to one vector index, with OCR replayed from recorded documents:
 * process-OCR-results and compaction are the production handlers, nothing else differs.
 */
export class HotPathRig {
  private uploads = 0;

  private constructor(
    private readonly replay: ReplayOcrEngine,
    private readonly adapters: LocalAdapters,
    private readonly results: ReturnType<typeof processOcrResultsHandlerFrom>,
    private readonly compaction: ReturnType<typeof compactionHandlerFrom>,
  ) {}

  static async open(
    vectors: VectorIndex,
    receipts: readonly PreparedReceipt[],
    catalog: readonly PlaceCandidate[],
    logger: Logger,
  ): Promise<HotPathRig> {
    const replay = new ReplayOcrEngine(receipts);
    const adapters = await openLocalAdapters({ vectors, catalog, ocr: replay });
    const container = createLocalContainer(adapters, logger);
    return new HotPathRig(
      replay,
      adapters,
      processOcrResultsHandlerFrom(container),
      compactionHandlerFrom(container, { fallbackBudgetMs: 600_000 }),
    );
  }

  /**
   * Uploads and OCRs (replayed) one receipt, then times the process-OCR-results handler on its
   * message. Returns the ms and the image id.
   */
  async processOne(receipt: PreparedReceipt): Promise<{ ms: number; imageId: string }> {
    // Each round uploads the receipt again: bytes the raw store has seen are a duplicate upload
    // (no job), so every upload gets its own trailer after the image's end (decoders ignore it).
    const body = withTrailer(receipt.bytes, ++this.uploads);
    this.replay.add(body, receipt.document);
    const a = this.adapters;
    const { image_id } = await submitJob(
      { jobs: a.jobs, images: a.rawImages, ocrQueue: a.ocrQueue, clock: a.clock, ids: a.ids },
      { filename: receipt.filename, contentType: inspectImage(body).contentType, body },
    );
    const [job] = await a.ocrQueue.receive({ maxMessages: 1 });
    if (!job) throw new Error('bench: the OCR job message was not queued');
    await runOcrJob(
      {
        jobs: a.jobs,
        images: a.rawImages,
        artifacts: a.artifacts,
        ocr: a.ocr,
        resultsQueue: a.resultsQueue,
        clock: a.clock,
      },
      job.body,
    );
    await job.ack();

    const [message] = await a.resultsQueue.receive({ maxMessages: 1 });
    if (!message) throw new Error(`bench: no OCR results message for image ${image_id}`);
    const started = performance.now();
    const response = await this.results({ Records: [{ messageId: message.id, body: message.body }] });
    const ms = performance.now() - started;
    if (response.batchItemFailures.length > 0)
      throw new Error(`bench: process-OCR-results failed for image ${image_id}`);
    await message.ack();
    return { ms, imageId: image_id };
  }

  /**
   * Times the compaction handler merging the receipt's `lines` delta (one merge message), then
   * removes those vectors again, untimed, so the index stays at its size. Also returns the
   * run's vector counts per collection.
   */
  async compactLines(imageId: string): Promise<{ ms: number; lines: number; words: number }> {
    const a = this.adapters;
    const [run] = await a.runs.list(imageId, 1);
    if (!run) throw new Error(`bench: no compaction run for image ${imageId}`);
    const message: CompactionMessage = {
      kind: 'merge',
      collection: 'lines',
      run_id: run.run_id,
      image_id: imageId,
      receipt_id: run.receipt_id,
      delta_key: run.lines.delta_key,
    };
    const started = performance.now();
    const response = await this.compaction({ Records: [{ messageId: run.run_id, body: JSON.stringify(message) }] });
    const ms = performance.now() - started;
    if (response.batchItemFailures.length > 0) throw new Error(`bench: compaction failed for image ${imageId}`);
    const merged = await a.vectors.deleteWhere('lines', { image_id: imageId });
    if (merged !== run.lines.vector_count)
      throw new Error(`bench: compaction merged ${merged} vectors, the delta holds ${run.lines.vector_count}`);
    return { ms, lines: run.lines.vector_count, words: run.words.vector_count };
  }

  async close(): Promise<void> {
    await this.adapters.close();
  }
}

/**
 * The image made distinct by a mark `n`: other bytes, the same picture. A PNG must end with its
 * IEND chunk (upload inspection refuses it otherwise as truncated), so its mark is a `tEXt` chunk
 * just before IEND; other formats get the mark appended after their end, which decoders ignore.
 */
export function withTrailer(bytes: Uint8Array, n: number): Uint8Array {
  const mark = new TextEncoder().encode(`Comment\0bench-upload-${n}`);
  if (!isPng(bytes)) return concat(bytes, mark.subarray(8));
  const chunk = new Uint8Array(12 + mark.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, mark.length);
  chunk.set(new TextEncoder().encode('tEXt'), 4);
  chunk.set(mark, 8);
  view.setUint32(8 + mark.length, crc32(chunk.subarray(4, 8 + mark.length)));
  const iend = bytes.length - 12;
  return concat(bytes.subarray(0, iend), chunk, bytes.subarray(iend));
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(bytes: Uint8Array): boolean {
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
