import { z } from 'zod';
import { GeometrySchema } from './geometry.js';
import { IdSchema, ReceiptIdSchema } from './ids.js';

export const ReceiptSchema = z.object({
  image_id: IdSchema,
  receipt_id: ReceiptIdSchema,
  line_count: z.number().int().nonnegative(),
  word_count: z.number().int().nonnegative(),
  created_at: z.string().datetime(),
});
export type Receipt = z.infer<typeof ReceiptSchema>;

export const ReceiptLineSchema = GeometrySchema.extend({
  image_id: IdSchema,
  receipt_id: ReceiptIdSchema,
  line_id: z.number().int().positive(),
  text: z.string(),
  confidence: z.number().min(0).max(1),
});
export type ReceiptLine = z.infer<typeof ReceiptLineSchema>;

export const ReceiptWordSchema = ReceiptLineSchema.extend({
  word_id: z.number().int().positive(),
});
export type ReceiptWord = z.infer<typeof ReceiptWordSchema>;

/** A receipt with its children, written and read as one unit. */
export interface ReceiptDetails {
  receipt: Receipt;
  lines: ReceiptLine[];
  words: ReceiptWord[];
}
