import * as z from 'zod';
import { schema } from '../schema.js';
import { CollectionSchema, IdSchema, ReceiptIdSchema } from './ids.js';

export const MetadataValueSchema = /* @__PURE__ */ schema(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null()]),
);
export type MetadataValue = z.infer<typeof MetadataValueSchema>;
export type VectorMetadata = Record<string, MetadataValue>;

export const VectorRecordSchema = /* @__PURE__ */ schema(() =>
  z.object({
    id: z.string().min(1),
    vector: z.array(z.number().finite()).min(1),
    document: z.string(),
    metadata: z.record(z.string(), MetadataValueSchema),
  }),
);
export type VectorRecord = z.infer<typeof VectorRecordSchema>;

export interface VectorMatch {
  id: string;
  /** Cosine similarity, 1 = identical direction. */
  score: number;
  document: string;
  metadata: VectorMetadata;
}

/** Equality on every key (AND). */
export type MetadataFilter = Record<string, string | number | boolean>;

/**
 * The vectors of one receipt for one collection, as written to object storage by
 * process-OCR-results and merged by compaction. `count` and `checksum` let compaction reject a
 * truncated or corrupt delta before touching the index.
 */
export const VectorDeltaSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      format_version: z.literal(1),
      run_id: IdSchema,
      image_id: IdSchema,
      receipt_id: ReceiptIdSchema,
      collection: CollectionSchema,
      dimensions: z.number().int().positive(),
      count: z.number().int().nonnegative(),
      checksum: z.string().min(1),
      records: z.array(VectorRecordSchema),
    })
    .superRefine((delta, ctx) => {
      if (delta.records.length !== delta.count) {
        ctx.addIssue({
          code: 'custom',
          path: ['records'],
          message: `has ${delta.records.length} records, count says ${delta.count}`,
        });
      }
      const wrong = delta.records.find((r) => r.vector.length !== delta.dimensions);
      if (wrong) {
        ctx.addIssue({
          code: 'custom',
          path: ['records'],
          message: `record ${wrong.id} has ${wrong.vector.length} dimensions, expected ${delta.dimensions}`,
        });
      }
    }),
);
export type VectorDelta = z.infer<typeof VectorDeltaSchema>;
