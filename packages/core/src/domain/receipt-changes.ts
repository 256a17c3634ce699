import * as z from 'zod';
import { schema } from '../schema.js';
import { ContentTypeSchema } from './image.js';
import { IdSchema, ReceiptIdSchema } from './ids.js';
import { OwnerSchema } from './owner.js';
import type { ReceiptFields } from './receipt-fields.js';

/**
 * The records behind a person's changes to their receipts (issue 15, item 3): deletes that stay
 * deleted, and the duplicate checks on upload and on processing. docs/architecture.md#corrections-and-deletes
 * and docs/architecture.md#duplicates tell the story; these are the rows.
 */

/** Points at one receipt: what `possible_duplicate_of` stores. */
export const ReceiptRefSchema = /* @__PURE__ */ schema(() =>
  z.object({ image_id: IdSchema, receipt_id: ReceiptIdSchema }),
);
export type ReceiptRef = z.infer<typeof ReceiptRefSchema>;

/** Lowercase hex SHA-256 of an upload's bytes. */
export const Sha256HexSchema = /* @__PURE__ */ schema(() =>
  z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
);

/**
 * A deleted receipt, kept after its rows are gone, so that nothing that replays its creation (a
 * redelivered OCR-results message, the sweep re-sending one) brings it back, and so that a
 * second delete of it by its owner is a success, not a 404.
 */
export const ReceiptTombstoneSchema = /* @__PURE__ */ schema(() =>
  z.object({
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
    owner: OwnerSchema,
    deleted_at: z.string().datetime(),
  }),
);
export type ReceiptTombstone = z.infer<typeof ReceiptTombstoneSchema>;

/**
 * The image that holds one owner's upload of some bytes: created conditionally, so of two uploads
 * of the same bytes exactly one makes an image and the other is told it is a duplicate of it.
 * Carries everything the winner's image and job rows are built from (ids, key, filename, type,
 * time), so that an upload of the same bytes that finds those rows missing (the winner died, or
 * is still writing them) writes exactly the same rows: it finishes the winner's upload.
 */
export const ImageHashClaimSchema = /* @__PURE__ */ schema(() =>
  z.object({
    owner: OwnerSchema,
    sha256: Sha256HexSchema,
    image_id: IdSchema,
    job_id: IdSchema,
    s3_key: z.string().min(1),
    filename: z.string().min(1).max(255),
    content_type: ContentTypeSchema,
    claimed_at: z.string().datetime(),
  }),
);
export type ImageHashClaim = z.infer<typeof ImageHashClaimSchema>;

/**
 * The first of an owner's receipts with one merchant, date and total: a later receipt with the
 * same {@link receiptFingerprint} is flagged `possible_duplicate_of` this one.
 */
export const ReceiptFingerprintClaimSchema = /* @__PURE__ */ schema(() =>
  z.object({
    owner: OwnerSchema,
    fingerprint: z.string().min(1).max(1024),
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
    claimed_at: z.string().datetime(),
  }),
);
export type ReceiptFingerprintClaim = z.infer<typeof ReceiptFingerprintClaimSchema>;

/**
 * What makes two receipts look like the same purchase: the merchant's place, the date and the
 * total (amount and currency). Null when any of them is unknown: a receipt without a resolved
 * merchant, a date or a total is never flagged, since "equal unknowns" say nothing.
 *
 * @example
 * receiptFingerprint('ChIJ-blue-bottle', fields); // 'ChIJ-blue-bottle|2024-03-09|1250 MYR'
 */
export function receiptFingerprint(
  placeId: string | null | undefined,
  fields: ReceiptFields | undefined,
): string | null {
  const date = fields?.date?.value;
  const total = fields?.total;
  if (!placeId || !date || !total) return null;
  return `${placeId}|${date}|${total.minor} ${total.currency}`;
}

/** True when both point at the same receipt (or both at none). */
export function sameReceiptRef(a: ReceiptRef | null | undefined, b: ReceiptRef | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.image_id === b.image_id && a.receipt_id === b.receipt_id;
}
