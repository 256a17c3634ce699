import * as z from 'zod';
import { schema } from '../schema.js';
import { IdSchema } from './ids.js';

/** NATIVE: rendered digitally (screenshot, PDF); PHOTO: camera shot; SCAN: flatbed scan. */
export const ImageTypeSchema = /* @__PURE__ */ schema(() => z.enum(['NATIVE', 'PHOTO', 'SCAN']));
export type ImageType = z.infer<typeof ImageTypeSchema>;

export const RoutingDecisionSchema = /* @__PURE__ */ schema(() =>
  z.object({
    job_id: IdSchema,
    image_id: IdSchema,
    image_type: ImageTypeSchema,
    receipt_count: z.number().int().nonnegative(),
    ocr_s3_bucket: z.string().min(1),
    ocr_s3_key: z.string().min(1),
    engine: z.string().min(1),
    reason: z.string(),
    created_at: z.string().datetime(),
  }),
);
export type RoutingDecision = z.infer<typeof RoutingDecisionSchema>;
