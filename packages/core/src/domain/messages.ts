import { z } from 'zod';
import { CollectionSchema, IdSchema, ReceiptIdSchema } from './ids.js';

/** `ocr-queue`: one image to OCR. */
export const OcrJobMessageSchema = z.object({ job_id: IdSchema, image_id: IdSchema });
export type OcrJobMessage = z.infer<typeof OcrJobMessageSchema>;

/** `ocr-results-queue`: where the OCR document of a finished job is stored. */
export const OcrResultsMessageSchema = z.object({
  job_id: IdSchema,
  image_id: IdSchema,
  s3_bucket: z.string().min(1),
  s3_key: z.string().min(1),
  receipt_count: z.number().int().nonnegative(),
});
export type OcrResultsMessage = z.infer<typeof OcrResultsMessageSchema>;

const MetadataValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * Compaction queue: one unit of work on one collection, produced by `routeChange`.
 * - `merge`: apply the run's delta for this collection.
 * - `update_metadata`: replace merchant fields on a receipt's vectors (null clears a key).
 * - `delete_receipt`: remove every vector of a receipt.
 */
export const CompactionMessageSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('merge'),
    collection: CollectionSchema,
    run_id: IdSchema,
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
    delta_key: z.string().min(1),
  }),
  z.object({
    kind: z.literal('update_metadata'),
    collection: CollectionSchema,
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
    metadata: z.record(z.string(), MetadataValue),
  }),
  z.object({
    kind: z.literal('delete_receipt'),
    collection: CollectionSchema,
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
  }),
]);
export type CompactionMessage = z.infer<typeof CompactionMessageSchema>;
