import { COLLECTIONS, ownerOf } from '../domain/index.js';
import type { CompactionRunStore, OcrJobStore, ReceiptStore } from '../ports/index.js';

/** The furthest stage an upload has reached, in pipeline order. */
export const UPLOAD_STAGES = ['awaiting_upload', 'uploaded', 'ocr_done', 'receipts', 'merchant', 'compacted'] as const;
export type UploadStage = (typeof UPLOAD_STAGES)[number];

export interface UploadStatus {
  image_id: string;
  /** `failed` once the job failed for good; `failed_stage` then says how far it got. */
  stage: UploadStage | 'failed';
  /** The furthest stage reached before the job failed (e.g. `ocr_done` for "no text found"); null unless failed. */
  failed_stage: UploadStage | null;
  job_status: string | null;
  failure_reason: string | null;
  receipts: {
    receipt_id: number;
    merchant_name: string | null;
    place_id: string | null;
    source: string | null;
    compacted: boolean;
    /**
     * Present only while Places could not be asked: `PENDING` (the sweep retries the merchant;
     * name, address and phone are as printed) or `UNRESOLVED` (retries ran out).
     */
    merchant_state?: 'PENDING' | 'UNRESOLVED';
  }[];
}

/** The stores getUploadStatus reads. */
export interface UploadStatusStores {
  jobs: OcrJobStore;
  receipts: ReceiptStore;
  runs: CompactionRunStore;
}

/**
 * Reads what the job table knows about an upload: the furthest stage it reached, why it failed,
 * and each receipt's merchant and whether its vectors are compacted. Null when the image is
 * unknown, and, when `owner` is given, when it is another owner's (the same answer, so that an
 * id cannot be probed).
 *
 * @example
 * const status = await getUploadStatus({ jobs, receipts, runs }, imageId);
 * // { image_id, stage: 'compacted', failed_stage: null, job_status: 'COMPLETED', failure_reason: null,
 * //   receipts: [{ receipt_id: 1, merchant_name: 'Blue Bottle Coffee', place_id: 'ChIJ…', source: 'places', compacted: true }] }
 */
export async function getUploadStatus(
  stores: UploadStatusStores,
  imageId: string,
  owner?: string,
): Promise<UploadStatus | null> {
  const { jobs, receipts: receiptStore, runs } = stores;
  const image = await jobs.getImage(imageId);
  if (!image || (owner !== undefined && ownerOf(image) !== owner)) return null;
  const [job] = await jobs.listJobsForImage(imageId);
  const details = await receiptStore.list(imageId);
  const receipts = await Promise.all(
    details.map(async ({ receipt }) => {
      const place = await receiptStore.getPlace(imageId, receipt.receipt_id);
      return { receipt_id: receipt.receipt_id, place, compacted: await isCompacted(runs, imageId, receipt.receipt_id) };
    }),
  );

  let stage: UploadStage = image.upload_state === 'UPLOADED' ? 'uploaded' : 'awaiting_upload';
  // A routing decision is written once OCR ran, also when the job then failed (no text found).
  if (job?.status === 'COMPLETED' || (job && (await jobs.getRoutingDecision(job.job_id)))) stage = 'ocr_done';
  if (receipts.length > 0) stage = 'receipts';
  if (receipts.length > 0 && receipts.every((r) => r.place)) stage = 'merchant';
  if (receipts.length > 0 && receipts.every((r) => r.place && r.compacted)) stage = 'compacted';

  const failed = job?.status === 'FAILED';
  return {
    image_id: imageId,
    stage: failed ? 'failed' : stage,
    failed_stage: failed ? stage : null,
    job_status: job?.status ?? null,
    failure_reason: job?.failure_reason ?? null,
    receipts: receipts.map((r) => ({
      receipt_id: r.receipt_id,
      merchant_name: r.place?.merchant_name ?? null,
      place_id: r.place?.place_id ?? null,
      source: r.place?.source ?? null,
      compacted: r.compacted,
      ...(r.place?.merchant_retry ? { merchant_state: r.place.merchant_retry.state } : {}),
    })),
  };
}

/** True once every run of the receipt completed in both collections (and it has at least one). */
export async function isCompacted(runs: CompactionRunStore, imageId: string, receiptId: number): Promise<boolean> {
  // Runs are found through the unfinished-runs listing's inverse: a receipt counts as compacted
  // when it has no unfinished run and at least one run exists.
  const list = await runs.list(imageId, receiptId);
  return list.length > 0 && list.every((run) => COLLECTIONS.every((c) => run[c].state === 'COMPLETED'));
}
