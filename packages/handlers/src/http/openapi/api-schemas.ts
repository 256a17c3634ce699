import {
  CollectionStateSchema,
  IdSchema,
  JobStatusSchema,
  PipelineQueueNameSchema,
  PaymentMethodSchema,
  PlaceSourceSchema,
  ReceiptIdSchema,
  ReceiptLineSchema,
  ReceiptPlaceSchema,
  ReceiptRefSchema,
  ReceiptSchema,
  ReceiptWordSchema,
  RoutingDecisionSchema,
  UPLOAD_STAGES,
  type ConfirmUploadResult,
  type SearchPlacesResult,
  type DeadLetterView,
  type PipelineStatus,
  type ListMerchantsResult,
  type ListReceiptsResult,
  type PresignedUpload,
  type ReceiptView,
  type SimilarReceipt,
  type SubmitJobResult,
  type UploadStatus,
} from '@receiptflow/core';
import * as z from 'zod';

/**
 * The bodies the HTTP API answers with, as zod schemas. Core describes them as TypeScript
 * interfaces (the use cases' results); these schemas restate them so that the OpenAPI document
 * can be generated from them (docs/openapi.yaml), and the type checks at the end of this file
 * fail the build the moment an interface and its schema disagree. Records that core already
 * validates with zod (a receipt, a line, a place) are reused as they are.
 */

export const ErrorBodySchema = z
  .object({
    error: z
      .object({
        code: z.string().meta({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED, NOT_FOUND.' }),
        message: z.string().meta({ description: 'What was wrong; a 400 names the parameter.' }),
      })
      .strict(),
  })
  .strict();

export const PresignedUploadSchema = z
  .object({
    method: z.enum(['PUT', 'POST']),
    url: z.string(),
    fields: z.record(z.string(), z.string()).meta({ description: 'Form fields to send before the file (POST).' }),
    headers: z.record(z.string(), z.string()).meta({ description: 'Headers the upload must carry (PUT).' }),
    max_bytes: z.number().int().positive(),
    expires_at: z.string(),
  })
  .strict();

export const UploadResultSchema = z
  .object({
    job_id: IdSchema,
    image_id: IdSchema,
    s3_key: z.string(),
    upload: PresignedUploadSchema.nullable().meta({
      description: 'For a presigned upload: where to send the bytes. Null for a direct upload.',
    }),
    duplicate: z.literal(true).optional().meta({
      description: 'The owner uploaded these bytes before: the ids are the existing image’s; nothing new was done.',
    }),
  })
  .strict();

export const UploadCompleteRequestSchema = z.object({ image_id: IdSchema }).strict();

export const UploadCompleteResultSchema = z
  .object({
    job_id: IdSchema,
    image_id: IdSchema,
    enqueued: z.boolean(),
    duplicate: z.literal(true).optional(),
  })
  .strict();

/** A 422 of upload-complete: the bytes were refused and deleted; here is a fresh upload. */
export const InvalidUploadBodySchema = ErrorBodySchema.extend({
  image_id: IdSchema,
  upload: PresignedUploadSchema,
}).strict();

export const PresignRequestSchema = z
  .object({
    filename: z.string().min(1),
    content_type: z.string(),
    size_bytes: z.number().int().positive().optional(),
  })
  .strict();

export const UploadStatusSchema = z
  .object({
    image_id: IdSchema,
    stage: z.enum([...UPLOAD_STAGES, 'failed']),
    failed_stage: z.enum(UPLOAD_STAGES).nullable(),
    job_status: z.string().nullable(),
    failure_reason: z.string().nullable(),
    receipts: z.array(
      z
        .object({
          receipt_id: ReceiptIdSchema,
          merchant_name: z.string().nullable(),
          place_id: z.string().nullable(),
          source: z.string().nullable(),
          compacted: z.boolean(),
          merchant_state: z.enum(['PENDING', 'UNRESOLVED']).optional(),
        })
        .strict(),
    ),
  })
  .strict();

const MoneySummarySchema = z.object({ amount_minor: z.number().int(), currency: z.string() }).strict();

export const ReceiptSummarySchema = z
  .object({
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
    owner: z.string(),
    date: z.string().nullable(),
    total: MoneySummarySchema.nullable(),
    subtotal: MoneySummarySchema.nullable(),
    tax: MoneySummarySchema.nullable(),
    payment_method: PaymentMethodSchema.nullable(),
    merchant: z
      .object({ place_id: z.string().nullable(), name: z.string().nullable(), source: PlaceSourceSchema })
      .strict()
      .nullable(),
    created_at: z.string(),
    possible_duplicate_of: ReceiptRefSchema.optional(),
  })
  .strict();

export const ReceiptListSchema = z
  .object({
    receipts: z.array(ReceiptSummarySchema),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  .strict();

export const MerchantListSchema = z
  .object({
    merchants: z.array(
      z
        .object({
          place_id: z.string(),
          name: z.string().nullable(),
          receipt_count: z.number().int().positive(),
          last_seen: z.string(),
        })
        .strict(),
    ),
  })
  .strict();

export const ReceiptViewSchema = z
  .object({
    receipt: ReceiptSchema,
    merchant: ReceiptPlaceSchema.nullable(),
    lines: z.array(ReceiptLineSchema),
    words: z.array(ReceiptWordSchema),
    routing: RoutingDecisionSchema.nullable(),
    stage: z.enum(['receipts', 'merchant', 'compacted']),
    image_url: z.string().meta({ description: 'A presigned GET of the uploaded image (5 minutes).' }),
    image_url_expires_at: z.string(),
    possible_duplicate_of: ReceiptRefSchema.optional(),
  })
  .strict();

export const SimilarListSchema = z
  .object({
    similar: z.array(
      z
        .object({
          image_id: IdSchema,
          receipt_id: ReceiptIdSchema,
          score: z.number(),
          merchant: z
            .object({ place_id: z.string(), name: z.string().nullable(), source: PlaceSourceSchema })
            .strict()
            .nullable(),
        })
        .strict(),
    ),
  })
  .strict();

export const PlaceSearchSchema = z
  .object({
    places: z.array(
      z
        .object({
          place_id: z.string(),
          name: z.string().nullable(),
          formatted_address: z.string().nullable(),
          phone: z.string().nullable(),
          receipt_count: z.number().int().nonnegative().meta({
            description: 'The caller’s receipts resolved to it already; 0 for a place only Places found.',
          }),
        })
        .strict(),
    ),
    places_unavailable: z.boolean().meta({ description: 'Places could not be asked: only the caller’s merchants.' }),
  })
  .strict();

const CollectionStatusSchema = z
  .object({
    state: CollectionStateSchema,
    attempts: z.number().int().nonnegative(),
    error: z.string().nullable(),
    updated_at: z.string(),
  })
  .strict();

const JOB_COUNT = z.number().int().nonnegative();

export const PipelineStatusSchema = z
  .object({
    jobs: z
      .object({
        by_status: z
          .object({ PENDING: JOB_COUNT, PROCESSING: JOB_COUNT, COMPLETED: JOB_COUNT, FAILED: JOB_COUNT })
          .strict(),
        capped: z.array(JobStatusSchema).meta({ description: 'Statuses counted up to the cap (10,000): at least.' }),
      })
      .strict(),
    queues: z.array(
      z
        .object({
          name: PipelineQueueNameSchema,
          depth: z.number().int().nonnegative(),
          in_flight: z.number().int().nonnegative(),
          dlq_depth: z.number().int().nonnegative(),
        })
        .strict(),
    ),
    compaction_runs: z.array(
      z
        .object({
          run_id: IdSchema,
          image_id: IdSchema,
          receipt_id: ReceiptIdSchema,
          job_id: z.string().nullable(),
          created_at: z.string(),
          lines: CollectionStatusSchema,
          words: CollectionStatusSchema,
        })
        .strict(),
    ),
  })
  .strict();

export const DeadLetterListSchema = z
  .object({
    messages: z.array(
      z
        .object({
          message_id: z.string(),
          error: z.string().meta({ description: 'The consumer’s reason, else what the body and its records say.' }),
          receive_count: z.number().int().nonnegative(),
          sent_at: z.string().nullable(),
          body_preview: z.string().meta({ description: 'The first 300 characters of the body.' }),
        })
        .strict(),
    ),
  })
  .strict();

export const RedriveResultSchema = z.object({ redriven: z.number().int().nonnegative() }).strict();

// The interfaces of core and the schemas above must describe the same bodies: each line fails
// to compile when one gains, loses or changes a field the other does not.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Out<S extends z.ZodType> = z.output<S>;
export const SCHEMAS_MATCH_CORE: [
  Same<Out<typeof PresignedUploadSchema>, PresignedUpload>,
  Same<Out<typeof UploadResultSchema>, SubmitJobResult>,
  Same<Out<typeof UploadCompleteResultSchema>, ConfirmUploadResult>,
  Same<Out<typeof UploadStatusSchema>, UploadStatus>,
  Same<Out<typeof ReceiptListSchema>, ListReceiptsResult>,
  Same<Out<typeof MerchantListSchema>, ListMerchantsResult>,
  Same<Out<typeof ReceiptViewSchema>, ReceiptView>,
  Same<Out<typeof SimilarListSchema>['similar'][number], SimilarReceipt>,
  Same<Out<typeof PlaceSearchSchema>, SearchPlacesResult>,
  Same<Out<typeof PipelineStatusSchema>, PipelineStatus>,
  Same<Out<typeof DeadLetterListSchema>['messages'][number], DeadLetterView>,
] = [true, true, true, true, true, true, true, true, true, true, true];
