import { ownerOf, receiptFingerprint, type ImageRecord } from '../domain/index.js';
import { NotFoundError } from '../errors.js';
import {
  isoNow,
  silentLogger,
  type Clock,
  type ImageStore,
  type Logger,
  type OcrJobStore,
  type ReceiptStore,
} from '../ports/index.js';

export interface DeleteReceiptDeps {
  jobs: OcrJobStore;
  receipts: ReceiptStore;
  /** The raw-images store (the image's `s3_bucket`): its bytes go with its last receipt. */
  images: ImageStore;
  /**
   * The artifacts store, when the OCR JSON is kept apart from the images: the image's OCR
   * documents go with its last receipt too (they hold every line of it). Omit when OCR JSON is
   * written to `images` (no `ocrBucket`); the routing decision names the key either way.
   */
  artifacts?: ImageStore;
  clock: Clock;
  logger?: Logger;
}

export interface DeleteReceiptResult {
  /** False when the receipt was deleted already (a repeat: nothing more was done than finishing up). */
  deleted: boolean;
  /** True when this was the image's last receipt, so the image went too. */
  image_deleted: boolean;
}

/**
 * A person deletes one of their receipts, for good:
 *
 * 1. a tombstone is written first, so that from then on neither a redelivered OCR-results
 *    message nor the sweep creates the receipt again (processOcrResults skips a tombstoned
 *    receipt, and removes one it created while the delete ran);
 * 2. the receipt's rows go (receipt, lines, words, place, compaction runs) through
 *    ReceiptStore.delete. The receipt REMOVE reaches the stream processor, which routes it to
 *    `delete_receipt` for both collections, and compaction deletes its vectors: the path that
 *    already existed. A merge still queued for it finds no run and deletes its vectors too;
 * 3. when it was the image's last receipt, the image's bytes, its OCR documents, its hash claim
 *    (so the same bytes can be uploaded again) and finally its image, job and routing rows go.
 *    The image row goes last, so a delete that stopped halfway is finished by the next call.
 *
 * Idempotent: deleting again is a success (`deleted: false`) that finishes what a crash left.
 * Another owner's receipt, or one that never existed, is NotFoundError (404, never 403).
 *
 * @example
 * await deleteReceipt({ jobs, receipts, images: raw, artifacts, clock }, 'alice', imageId, 1);
 * await deleteReceipt(deps, 'alice', imageId, 1); // { deleted: false, image_deleted: true }: done already
 */
export async function deleteReceipt(
  deps: DeleteReceiptDeps,
  owner: string,
  imageId: string,
  receiptId: number,
): Promise<DeleteReceiptResult> {
  const [details, tombstone] = await Promise.all([
    deps.receipts.get(imageId, receiptId),
    deps.receipts.getTombstone(imageId, receiptId),
  ]);
  const ownedBy = details ? ownerOf(details.receipt) : tombstone?.owner;
  if (ownedBy !== owner) throw new NotFoundError('receipt', `${imageId}/${receiptId}`);
  const logger = deps.logger ?? silentLogger;

  if (details) {
    await deps.receipts.putTombstone({
      image_id: imageId,
      receipt_id: receiptId,
      owner,
      deleted_at: isoNow(deps.clock),
    });
    const place = await deps.receipts.getPlace(imageId, receiptId);
    const fingerprint = receiptFingerprint(place?.place_id, details.receipt.fields);
    if (fingerprint !== null) await deps.receipts.releaseFingerprint(owner, fingerprint, imageId, receiptId);
    await deps.receipts.delete(imageId, receiptId);
  }

  const remaining = await deps.receipts.list(imageId);
  let image_deleted = false;
  if (remaining.length === 0) {
    const image = await deps.jobs.getImage(imageId);
    if (image) await deleteImage(deps, image);
    image_deleted = true;
  }
  logger.info('receipt deleted', { image_id: imageId, receipt_id: receiptId, repeat: !details, image_deleted });
  return { deleted: details !== null, image_deleted };
}

/** Everything of an image whose last receipt was deleted; the image row last (see above). */
async function deleteImage(deps: DeleteReceiptDeps, image: ImageRecord): Promise<void> {
  await deps.images.delete(image.s3_key);
  for (const job of await deps.jobs.listJobsForImage(image.image_id)) {
    const routing = await deps.jobs.getRoutingDecision(job.job_id);
    if (!routing) continue;
    const store = deps.artifacts ?? deps.images;
    await store.delete(routing.ocr_s3_key);
  }
  if (image.sha256 !== undefined) await deps.jobs.releaseImageHash(ownerOf(image), image.sha256, image.image_id);
  await deps.jobs.deleteImage(image.image_id);
}
