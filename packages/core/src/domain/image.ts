import * as z from 'zod';
import { schema } from '../schema.js';
import { IdSchema } from './ids.js';
import { OwnerSchema } from './owner.js';

/**
 * The upload formats, by media type. The type a client declares is only a claim: the bytes are
 * sniffed (image-inspection.ts) and a body of another type is refused naming both.
 * HEIC is what an iPhone saves by default; `image/heif` is the same container with another codec
 * brand (docs/formats.md). A PDF (e-receipts, invoices) is one receipt per page; its text layer
 * is read without OCR (docs/architecture.md#pdfs-the-native-path-issue-19).
 */
export const ACCEPTED_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/tiff',
  'image/heic',
  'image/heif',
  'application/pdf',
] as const;
export const ContentTypeSchema = /* @__PURE__ */ schema(() => z.enum(ACCEPTED_CONTENT_TYPES));
export type ImageContentType = z.infer<typeof ContentTypeSchema>;

/** The uploaded original, stored once per upload (never keyed by filename alone). */
export const ImageRecordSchema = /* @__PURE__ */ schema(() =>
  z.object({
    image_id: IdSchema,
    filename: z.string().min(1).max(255),
    content_type: ContentTypeSchema,
    s3_bucket: z.string().min(1),
    s3_key: z.string().min(1),
    /** AWAITING_UPLOAD until a presigned PUT lands; UPLOADED once the bytes are stored. */
    upload_state: z.enum(['AWAITING_UPLOAD', 'UPLOADED']),
    size_bytes: z.number().int().nonnegative().nullable(),
    created_at: z.string().datetime(),
    /** Who uploaded it (absent: DEFAULT_OWNER, read through `ownerOf`). */
    owner: OwnerSchema.optional(),
    /**
     * Lowercase hex SHA-256 of the uploaded bytes, once they are known (direct uploads at once,
     * presigned ones when the upload lands): how a second upload of the same photo is recognised.
     */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
      .optional(),
  }),
);
export type ImageRecord = z.infer<typeof ImageRecordSchema>;
