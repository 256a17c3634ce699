import * as z from 'zod';
import { schema } from '../schema.js';
import { GeometrySchema } from './geometry.js';
import { IdSchema, ReceiptIdSchema } from './ids.js';
import { OwnerSchema } from './owner.js';
import { ReceiptFieldsSchema } from './receipt-fields.js';
import { ReceiptRefSchema } from './receipt-changes.js';

/**
 * Where a receipt lies in its image, and the frame its lines' and words' geometry is stored in.
 *
 * The corners, bounding box and angle are in the IMAGE's frame (normalised 0..1, origin
 * bottom-left); `angle_degrees` is how far the receipt is turned counter-clockwise. `width` and
 * `height` are the region's size in image pixels. Every ReceiptLine/ReceiptWord geometry of the
 * receipt is in the RECEIPT's frame: this region cropped and turned upright, normalised 0..1
 * with the origin at its bottom-left. For a NATIVE image holding one receipt the region is the
 * whole image (angle 0), so both frames coincide.
 */
export const ReceiptRegionSchema = /* @__PURE__ */ schema(() =>
  GeometrySchema.extend({
    width: z.number().finite().nonnegative(),
    height: z.number().finite().nonnegative(),
  }),
);
export type ReceiptRegion = z.infer<typeof ReceiptRegionSchema>;

export const ReceiptSchema = /* @__PURE__ */ schema(() =>
  z.object({
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
    line_count: z.number().int().nonnegative(),
    word_count: z.number().int().nonnegative(),
    /** Absent on receipts stored before regions were recorded (their geometry is in the image frame). */
    region: ReceiptRegionSchema.optional(),
    created_at: z.string().datetime(),
    /** Its image's owner, copied when the receipt is built (absent: DEFAULT_OWNER, via `ownerOf`). */
    owner: OwnerSchema.optional(),
    /**
     * Date, total, subtotal, tax, payment method and line items, with the lines each was read from
     * (docs/fields.md). Absent on receipts stored before fields were extracted; the next delivery
     * of their OCR results fills it in.
     */
    fields: ReceiptFieldsSchema.optional(),
    /**
     * Another of the owner's receipts with the same merchant, date and total (the first one seen):
     * flagged for a person to look at, never dropped (docs/architecture.md#duplicates).
     */
    possible_duplicate_of: ReceiptRefSchema.optional(),
  }),
);
export type Receipt = z.infer<typeof ReceiptSchema>;

/**
 * The most characters a stored line or word keeps. A printed receipt line is well under 200; OCR
 * of something that is not a receipt line (a page of prose, a barcode read as text) once gave one
 * line of over 400 KB, which failed its DynamoDB item (400 KB at most), then its write chunk,
 * then the whole message. Longer text is cut here and flagged `text_truncated`; the OCR JSON in
 * the artifacts bucket keeps it whole. 2,000 characters also stays far inside an embedding
 * input's 8,192 tokens.
 */
export const MAX_TEXT_CHARS = 2_000;

export const ReceiptLineSchema = /* @__PURE__ */ schema(() =>
  GeometrySchema.extend({
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
    line_id: z.number().int().positive(),
    /** At most {@link MAX_TEXT_CHARS} characters, as built by the results step. */
    text: z.string(),
    confidence: z.number().min(0).max(1),
    /** Present when the OCR text was longer than {@link MAX_TEXT_CHARS} and was cut to it. */
    text_truncated: z.literal(true).optional(),
  }),
);
export type ReceiptLine = z.infer<typeof ReceiptLineSchema>;

export const ReceiptWordSchema = /* @__PURE__ */ schema(() =>
  ReceiptLineSchema.extend({
    word_id: z.number().int().positive(),
  }),
);
export type ReceiptWord = z.infer<typeof ReceiptWordSchema>;

/** A receipt with its children, written and read as one unit. */
export interface ReceiptDetails {
  receipt: Receipt;
  lines: ReceiptLine[];
  words: ReceiptWord[];
}

/**
 * The receipt with its lines in line order and its words in (line, word) order: the order in
 * which they are embedded, so that a stored receipt read back in any order gives the same vectors.
 *
 * @example
 * const ordered = inReadingOrder(await receipts.getReceiptDetails(imageId, receiptId));
 */
export function inReadingOrder(details: ReceiptDetails): ReceiptDetails {
  return {
    receipt: details.receipt,
    lines: [...details.lines].sort((a, b) => a.line_id - b.line_id),
    words: [...details.words].sort((a, b) => a.line_id - b.line_id || a.word_id - b.word_id),
  };
}
