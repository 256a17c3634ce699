import { IdSchema, ownerOf, ReceiptIdSchema, type ImageRecord } from '../domain/index.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { OcrJobStore } from '../ports/index.js';

/**
 * The image `imageId` when it belongs to `owner`. An unknown image and another owner's image
 * are the same NotFoundError, with the same message, so that a caller cannot tell them apart
 * (HTTP 404, never 403: ids cannot be probed). A malformed id is a ValidationError naming it.
 *
 * @example
 * const image = await ownedImage(jobs, 'alice', imageId); // NotFoundError when it is bob's
 */
export async function ownedImage(jobs: OcrJobStore, owner: string, imageId: string): Promise<ImageRecord> {
  if (!IdSchema.safeParse(imageId).success) {
    throw new ValidationError('invalid image_id', [`image_id ${JSON.stringify(imageId.slice(0, 140))} is not an id`]);
  }
  const image = await jobs.getImage(imageId);
  if (!image || ownerOf(image) !== owner) throw new NotFoundError('image', imageId);
  return image;
}

/** Checks a receipt id as a path gives it (a positive integer up to 99,999); ValidationError naming receipt_id. */
export function assertReceiptId(receiptId: number): void {
  if (!ReceiptIdSchema.safeParse(receiptId).success) {
    throw new ValidationError('invalid receipt_id', [`receipt_id ${receiptId} is not an integer in 1..99999`]);
  }
}
