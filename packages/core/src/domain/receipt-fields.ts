import { z } from 'zod';
import { IdSchema, ReceiptIdSchema } from './ids.js';

/** Where a field's value came from: the receipt's own OCR lines, or the resolved place's record. */
export const FieldSourceSchema = z.enum(['ocr', 'place']);
export type FieldSource = z.infer<typeof FieldSourceSchema>;

/** One extracted field: the value as SROIE scores it, and the receipt lines it was read from. */
export const ExtractedFieldSchema = z.object({
  value: z.string().min(1),
  /** The `line_id`s of the receipt lines that hold the value (empty when it came from the place). */
  line_ids: z.array(z.number().int().positive()),
  source: FieldSourceSchema,
});
export type ExtractedField = z.infer<typeof ExtractedFieldSchema>;

/**
 * The key fields of one receipt (SROIE task 3: company, date, address, total), as the read side
 * will store them. A field not found is null, never a guess.
 */
export const ReceiptFieldsRecordSchema = z.object({
  image_id: IdSchema,
  receipt_id: ReceiptIdSchema,
  company: ExtractedFieldSchema.nullable(),
  /** The date as printed ("25/12/2018"); `date_iso` is its reading, when one is unambiguous enough. */
  date: ExtractedFieldSchema.nullable(),
  date_iso: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullable(),
  address: ExtractedFieldSchema.nullable(),
  /** The amount as printed, without currency ("80.90"). */
  total: ExtractedFieldSchema.nullable(),
});
export type ReceiptFieldsRecord = z.infer<typeof ReceiptFieldsRecordSchema>;
