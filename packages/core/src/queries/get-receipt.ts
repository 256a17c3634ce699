import type { ReceiptLine, ReceiptPlace, ReceiptWord, Receipt, RoutingDecision } from '../domain/index.js';
import { NotFoundError } from '../errors.js';
import type { CompactionRunStore, ImageStore, OcrJobStore, ReceiptStore } from '../ports/index.js';
import { isCompacted } from './get-upload-status.js';
import { assertReceiptId, ownedImage } from './owned-receipt.js';

/** How long the image URL of a receipt view stays valid: long enough to open, short enough not to share. */
export const IMAGE_URL_SECONDS = 300;

/** How far one receipt got: stored, merchant decided, vectors compacted. */
export type ReceiptStage = 'receipts' | 'merchant' | 'compacted';

/** Everything a person (or a console) needs to read one receipt. */
export interface ReceiptView {
  /** The receipt row, with its extracted (or corrected) fields when it has them. */
  receipt: Receipt;
  /** The merchant decided for it, null until one is. */
  merchant: ReceiptPlace | null;
  /** In line order; geometry in the receipt's frame (see ReceiptRegionSchema). */
  lines: ReceiptLine[];
  /** In (line, word) order. */
  words: ReceiptWord[];
  /** How the image was OCR'd (native, photo, scan), null when no decision was recorded. */
  routing: RoutingDecision | null;
  stage: ReceiptStage;
  /** A short-lived GET URL of the uploaded image. */
  image_url: string;
  image_url_expires_at: string;
  possible_duplicate_of?: { image_id: string; receipt_id: number };
}

/** The stores getReceipt reads, and the raw image bucket it signs URLs for. */
export interface GetReceiptDeps {
  jobs: OcrJobStore;
  receipts: ReceiptStore;
  runs: CompactionRunStore;
  /** The bucket of the uploaded images (ImageRecord.s3_key). */
  images: ImageStore;
}

/**
 * One of `owner`'s receipts with everything known about it: fields, merchant, lines and words
 * with geometry, the routing decision, how far the pipeline got, and a short-lived image URL.
 * NotFoundError for an unknown receipt and for another owner's (the same answer, so ids cannot
 * be probed); ValidationError naming image_id or receipt_id when one is malformed.
 *
 * @example
 * const view = await getReceipt({ jobs, receipts, runs, images }, 'alice', imageId, 1);
 * view.receipt.fields?.total; // { amount_minor: 1250, currency: 'GBP', ... }
 * view.image_url;             // presigned GET, valid IMAGE_URL_SECONDS
 */
export async function getReceipt(
  deps: GetReceiptDeps,
  owner: string,
  imageId: string,
  receiptId: number,
): Promise<ReceiptView> {
  assertReceiptId(receiptId);
  const image = await ownedImage(deps.jobs, owner, imageId);
  const details = await deps.receipts.get(imageId, receiptId);
  if (!details) throw new NotFoundError('receipt', `${imageId}/${receiptId}`);
  const [merchant, compacted, routing, download] = await Promise.all([
    deps.receipts.getPlace(imageId, receiptId),
    isCompacted(deps.runs, imageId, receiptId),
    routingOf(deps.jobs, imageId),
    deps.images.presignDownload(image.s3_key, { expiresInSeconds: IMAGE_URL_SECONDS }),
  ]);
  const duplicate = (details.receipt as { possible_duplicate_of?: ReceiptView['possible_duplicate_of'] })
    .possible_duplicate_of;
  return {
    receipt: details.receipt,
    merchant,
    lines: [...details.lines].sort((a, b) => a.line_id - b.line_id),
    words: [...details.words].sort((a, b) => a.line_id - b.line_id || a.word_id - b.word_id),
    routing,
    stage: merchant ? (compacted ? 'compacted' : 'merchant') : 'receipts',
    image_url: download.url,
    image_url_expires_at: download.expires_at,
    ...(duplicate ? { possible_duplicate_of: duplicate } : {}),
  };
}

/** The routing decision of the image's job (one job per upload; a retry keeps the job id). */
async function routingOf(jobs: OcrJobStore, imageId: string): Promise<RoutingDecision | null> {
  for (const job of await jobs.listJobsForImage(imageId)) {
    const decision = await jobs.getRoutingDecision(job.job_id);
    if (decision) return decision;
  }
  return null;
}
