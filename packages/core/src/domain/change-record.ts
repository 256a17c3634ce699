import * as z from 'zod';
import { schema } from '../schema.js';

/** The job-table entities whose changes the stream processor cares about. */
export const EntitySchema = /* @__PURE__ */ schema(() =>
  z.enum([
    'IMAGE',
    'OCR_JOB',
    'ROUTING',
    'RECEIPT',
    'RECEIPT_LINE',
    'RECEIPT_WORD',
    'RECEIPT_PLACE',
    'COMPACTION_RUN',
    'RECEIPT_TOMBSTONE',
    'IMAGE_HASH_CLAIM',
    'RECEIPT_FINGERPRINT',
  ]),
);
export type Entity = z.infer<typeof EntitySchema>;

/**
 * A job-table change in domain terms, whatever produced it: a DynamoDB stream record (AWS)
 * or the local job store's change feed. Images are the entity's record as stored.
 */
export const ChangeRecordSchema = /* @__PURE__ */ schema(() =>
  z.object({
    event_name: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
    entity: EntitySchema,
    old_image: z.record(z.string(), z.unknown()).nullable(),
    new_image: z.record(z.string(), z.unknown()).nullable(),
    /** Stream sequence number, when there is one. */
    sequence: z.string().nullable(),
  }),
);
export type ChangeRecord = z.infer<typeof ChangeRecordSchema>;
