import { z } from 'zod';
import { IdSchema } from './ids.js';

export const ACCEPTED_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/tiff'] as const;
export const ContentTypeSchema = z.enum(ACCEPTED_CONTENT_TYPES);
export type ImageContentType = z.infer<typeof ContentTypeSchema>;

/** The uploaded original, stored once per upload (never keyed by filename alone). */
export const ImageRecordSchema = z.object({
  image_id: IdSchema,
  filename: z.string().min(1).max(255),
  content_type: ContentTypeSchema,
  s3_bucket: z.string().min(1),
  s3_key: z.string().min(1),
  /** AWAITING_UPLOAD until a presigned PUT lands; UPLOADED once the bytes are stored. */
  upload_state: z.enum(['AWAITING_UPLOAD', 'UPLOADED']),
  size_bytes: z.number().int().nonnegative().nullable(),
  created_at: z.string().datetime(),
});
export type ImageRecord = z.infer<typeof ImageRecordSchema>;
