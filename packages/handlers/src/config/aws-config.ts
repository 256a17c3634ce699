import { ConfigError, DEFAULT_OWNER, OwnerSchema } from '@receiptflow/core';
import type { ApiKeyEntry } from '../http/api-key-auth.js';
import * as z from 'zod';
import { schema } from './schema.js';

const csv = /* @__PURE__ */ schema(() =>
  z.string().transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ),
);

/**
 * API_KEY_SHA256: the accepted keys, comma-separated, each `owner:sha256hex` (the key's owner,
 * OwnerSchema's characters) or a bare `sha256hex` (DEFAULT_OWNER's key: how every stack was
 * configured before owners existed, so old configs keep working). A bad entry is named by its
 * position (and owner), never echoed: a plaintext key pasted by mistake must not reach the logs.
 * At least one: with no key hashes ApiKeyAuth lets every request in (the loopback-only local mode).
 */
export const ApiKeyListSchema = /* @__PURE__ */ schema(() =>
  csv
    .pipe(z.array(z.string()).min(1, 'at least one key hash is required; without one the API would be open to anyone'))
    .transform((entries, ctx): ApiKeyEntry[] => {
      const keys: ApiKeyEntry[] = [];
      const firstSeen = new Map<string, number>();
      entries.forEach((entry, i) => {
        const n = i + 1;
        const colon = entry.lastIndexOf(':');
        const owner = colon === -1 ? DEFAULT_OWNER : entry.slice(0, colon).trim();
        const sha256 = entry
          .slice(colon + 1)
          .trim()
          .toLowerCase();
        const problems: string[] = [];
        const ownerCheck = OwnerSchema.safeParse(owner);
        if (!ownerCheck.success)
          problems.push(`owner ${ownerCheck.error.issues[0]?.message ?? 'is invalid'} (1 to 128 characters)`);
        if (!/^[0-9a-f]{64}$/.test(sha256))
          problems.push('each entry must be a hex SHA-256, as owner:sha256hex or sha256hex');
        const earlier = firstSeen.get(sha256);
        if (problems.length === 0 && earlier !== undefined) problems.push(`the same key hash as entry ${earlier}`);
        if (problems.length > 0) {
          const who = ownerCheck.success && colon !== -1 ? ` (owner ${owner})` : '';
          ctx.addIssue({ code: 'custom', message: `entry ${n}${who}: ${problems.join('; ')}` });
          return;
        }
        firstSeen.set(sha256, n);
        keys.push({ owner, sha256 });
      });
      return keys;
    }),
);

const Common = /* @__PURE__ */ schema(() =>
  z.object({
    TABLE_NAME: z.string().min(3),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    AWS_REGION: z.string().min(1).default('us-east-1'),
    /** Emulators / LocalStack only; unset in AWS. */
    AWS_ENDPOINT_URL: z.string().url().optional(),
    /** Set by Lambda itself; the `Function` dimension of the EMF metrics (the function's short name when unset). */
    AWS_LAMBDA_FUNCTION_NAME: z.string().min(1).optional(),
    /** The CloudWatch namespace of the EMF metrics; the alarms in infra read the same one. */
    METRICS_NAMESPACE: z.string().min(1).max(255).default('receiptflow'),
    /** The source queue's redrive maxReceiveCount (queue consumers): failures on that receive count as DLQ sends. */
    MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).optional(),
  }),
);

/** Each Lambda reads only the variables its function needs. */
export const UploadConfigSchema = /* @__PURE__ */ schema(() =>
  Common.extend({
    RAW_BUCKET: z.string().min(3),
    /** Sent to the OCR worker as each message's `ocr_s3_bucket`: where the OCR JSON belongs. */
    ARTIFACTS_BUCKET: z.string().min(3),
    /** The seed's name (was OCR_QUEUE_URL, still read as a deprecated alias). */
    OCR_JOB_QUEUE_URL: z.string().url(),
    API_KEY_SHA256: ApiKeyListSchema,
  }),
);

/**
 * The writer's snapshot cadence and retention; compaction reads them. efs and s3: in the index
 * files themselves; server: snapshot files of the Chroma collections under `snapshots/` in the
 * vectors bucket (docs/vector-storage.md).
 */
const INDEX_FILES_WRITER = /* @__PURE__ */ schema(() => ({
  /** Compaction (the writer) snapshots once this many operations (server: changed records) are not in one. */
  VECTOR_CHECKPOINT_EVERY: z.coerce.number().int().positive().default(2000),
  /** Snapshots the writer keeps (plus the live one). */
  VECTOR_KEEP_SNAPSHOTS: z.coerce.number().int().positive().max(100).default(3),
}));

/**
 * Where the vector index lives (docs/vector-storage.md). `server`: a Chroma server; its URL has
 * no default, so a stack deployed without one fails at cold start naming CHROMA_URL. `efs`: the
 * local HNSW index files in a directory on the EFS mount, one writer (compaction, fenced by the
 * compaction lock's token) and read-only followers. `s3`: the same files as objects under
 * `s3://VECTOR_BUCKET/VECTOR_PREFIX`, the same writer and followers. Unset means `server`, the
 * mode of every stack deployed before the switch existed.
 */
export const VECTOR_STORAGE_MODES = ['server', 'efs', 's3'] as const;
export const VectorStorageSchema = /* @__PURE__ */ schema(() =>
  z.preprocess(
    (env) =>
      env &&
      typeof env === 'object' &&
      !('VECTOR_STORAGE_MODE' in env && (env as Record<string, unknown>).VECTOR_STORAGE_MODE !== undefined)
        ? { ...env, VECTOR_STORAGE_MODE: 'server' }
        : env,
    z.discriminatedUnion(
      'VECTOR_STORAGE_MODE',
      [
        z.object({
          VECTOR_STORAGE_MODE: z.literal('server'),
          CHROMA_URL: z.string({ error: 'required when VECTOR_STORAGE_MODE is server (the Chroma server URL)' }).url(),
          CHROMA_AUTH_TOKEN: z.string().min(1).optional(),
          CHROMA_TENANT: z.string().min(1).optional(),
          CHROMA_DATABASE: z.string().min(1).optional(),
          ...INDEX_FILES_WRITER,
        }),
        z.object({
          VECTOR_STORAGE_MODE: z.literal('efs'),
          VECTOR_INDEX_DIR: z
            .string({ error: 'required when VECTOR_STORAGE_MODE is efs (a directory on the EFS mount)' })
            .regex(/^\/mnt\/[^\0]+$/, 'an absolute path under /mnt (where Lambda mounts EFS)'),
          ...INDEX_FILES_WRITER,
        }),
        z.object({
          VECTOR_STORAGE_MODE: z.literal('s3'),
          VECTOR_BUCKET: z
            .string({ error: 'required when VECTOR_STORAGE_MODE is s3 (the bucket holding the index files)' })
            .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
          VECTOR_PREFIX: z
            .string({
              error: 'required when VECTOR_STORAGE_MODE is s3 (the key prefix of the index, e.g. vectors/index)',
            })
            // The collections live at `<prefix>/lines` and `<prefix>/words`; an empty segment would
            // make keys with `//` that no IAM resource pattern written for the prefix matches.
            .regex(/^[^/]+(\/[^/]+)*$/, 'a key prefix without leading, trailing or doubled slashes'),
          ...INDEX_FILES_WRITER,
        }),
      ],
      { error: `must be one of ${VECTOR_STORAGE_MODES.join(', ')}` },
    ),
  ),
);
export type VectorStorageConfig = z.infer<typeof VectorStorageSchema>;

/** Google Places: process-OCR-results resolves merchants, receipts-change serves GET /places (merchant search). */
const PLACES = /* @__PURE__ */ schema(() => ({
  GOOGLE_PLACES_API_KEY: z.string().min(1),
  GOOGLE_PLACES_BASE_URL: z.string().url().optional(),
  /** The country receipts come from (ISO 3166, e.g. GB): phone lookups are cached by E.164. */
  PLACES_PHONE_COUNTRY: z
    .string()
    .regex(/^[A-Z]{2}$/, 'an ISO 3166 country code in capitals, such as GB or MY')
    .optional(),
}));

export const ProcessOcrResultsConfigSchema = /* @__PURE__ */ schema(() =>
  Common.extend({
    ARTIFACTS_BUCKET: z.string().min(3),
    VECTORS_BUCKET: z.string().min(3),
    OPENAI_API_KEY: z.string().min(1),
    OPENAI_BASE_URL: z.string().url().optional(),
    ...PLACES,
    EMBEDDING_MODEL: z.string().min(1).default('text-embedding-3-small'),
    EMBEDDING_DIMENSIONS: z.coerce.number().int().positive().max(3072).default(512),
  }).and(VectorStorageSchema),
);

/**
 * receipts-read: GET /receipts, GET /merchants, GET /receipts/{image_id}/{receipt_id} (and its
 * /similar) and GET /images/{image_id}. The table and its listing GSIs, the raw bucket to sign
 * image URLs for, and the vector index the similar route queries (read-only: a follower of the
 * index files in efs and s3 mode).
 */
export const ReceiptsReadConfigSchema = /* @__PURE__ */ schema(() =>
  Common.extend({
    RAW_BUCKET: z.string().min(3),
    API_KEY_SHA256: ApiKeyListSchema,
    EMBEDDING_DIMENSIONS: z.coerce.number().int().positive().max(3072).default(512),
  }).and(VectorStorageSchema),
);

/**
 * receipts-change: PATCH and DELETE /receipts/{image_id}/{receipt_id}, and GET /places (the
 * merchants a correction may choose). The table, the raw bucket (a PATCH answers the receipt
 * view with its signed image URL; a delete of an image's last receipt removes its bytes), the
 * artifacts bucket (that delete removes its OCR JSON too), and Google Places (cached in the table).
 */
export const ReceiptsChangeConfigSchema = /* @__PURE__ */ schema(() =>
  Common.extend({
    RAW_BUCKET: z.string().min(3),
    ARTIFACTS_BUCKET: z.string().min(3),
    API_KEY_SHA256: ApiKeyListSchema,
    ...PLACES,
  }),
);

/**
 * receipts-export: GET /export. The table (the catalog's listing GSIs, page by page) and the
 * bucket the export is written to under `exports/<owner>/` and presigned from (`EXPORT_BUCKET`;
 * infra passes the artifacts bucket).
 */
export const ReceiptsExportConfigSchema = /* @__PURE__ */ schema(() =>
  Common.extend({
    EXPORT_BUCKET: z.string().min(3),
    API_KEY_SHA256: ApiKeyListSchema,
  }),
);

/**
 * OPERATOR_OWNERS: the owners (as API_KEY_SHA256 names them) whose keys are operators' keys,
 * comma-separated. Unset or empty means none: every caller of the operator routes gets 403
 * FORBIDDEN, the safe default for a stack whose operators were not named (docs/api.md#pipeline-operators-only).
 */
export const OperatorOwnersSchema = /* @__PURE__ */ schema(() => csv.pipe(z.array(OwnerSchema)));

/**
 * pipeline: the operator routes (GET /pipeline, GET /pipeline/dlq/{queue}, POST …/redrive). The
 * table (job counts and unfinished runs through GSI1, a job or run a dead letter names), the
 * three work queues (depths; redrive sends to them) and their DLQs (depths, listing, redrive).
 */
export const PipelineConfigSchema = /* @__PURE__ */ schema(() =>
  Common.extend({
    API_KEY_SHA256: ApiKeyListSchema,
    OPERATOR_OWNERS: OperatorOwnersSchema.default([]),
    OCR_JOB_QUEUE_URL: z.string().url(),
    OCR_RESULTS_QUEUE_URL: z.string().url(),
    COMPACTION_QUEUE_URL: z.string().url(),
    OCR_DLQ_URL: z.string().url(),
    OCR_RESULTS_DLQ_URL: z.string().url(),
    COMPACTION_DLQ_URL: z.string().url(),
  }),
);

/** The API's Lambda authorizer reads only the key hashes; it touches no table, bucket or queue. */
export const AuthorizerConfigSchema = /* @__PURE__ */ schema(() =>
  z.object({
    API_KEY_SHA256: ApiKeyListSchema,
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  }),
);

export const StreamProcessorConfigSchema = /* @__PURE__ */ schema(() =>
  Common.extend({
    COMPACTION_QUEUE_URL: z.string().url(),
  }),
);

export const CompactionConfigSchema = /* @__PURE__ */ schema(() =>
  Common.extend({
    VECTORS_BUCKET: z.string().min(3),
    EMBEDDING_DIMENSIONS: z.coerce.number().int().positive().max(3072).default(512),
    LEASE_MS: z.coerce.number().int().positive().default(180_000),
  }).and(VectorStorageSchema),
);

/** The scheduled sweep: reads the table, re-sends to the three queues. */
export const SweepConfigSchema = /* @__PURE__ */ schema(() =>
  Common.extend({
    OCR_JOB_QUEUE_URL: z.string().url(),
    /** Re-sent OCR messages name it as `ocr_s3_bucket`, as the upload function's do. */
    ARTIFACTS_BUCKET: z.string().min(3),
    OCR_RESULTS_QUEUE_URL: z.string().url(),
    COMPACTION_QUEUE_URL: z.string().url(),
    /** Work touched more recently than this is presumed in flight and left alone. */
    SWEEP_MIN_AGE_SECONDS: z.coerce.number().int().nonnegative().default(900),
    /** Jobs created longer ago than this are not examined (bounds each sweep's reads). */
    SWEEP_LOOKBACK_SECONDS: z.coerce.number().int().positive().default(7200),
    /** Jobs (or runs) examined per stage per sweep. */
    SWEEP_LIMIT: z.coerce.number().int().positive().max(10_000).default(1000),
  }).refine((c) => c.SWEEP_LOOKBACK_SECONDS > c.SWEEP_MIN_AGE_SECONDS, {
    path: ['SWEEP_LOOKBACK_SECONDS'],
    message: 'must be longer than SWEEP_MIN_AGE_SECONDS, or the window is empty',
  }),
);

export type UploadConfig = z.infer<typeof UploadConfigSchema>;
export type AuthorizerConfig = z.infer<typeof AuthorizerConfigSchema>;
export type ProcessOcrResultsConfig = z.infer<typeof ProcessOcrResultsConfigSchema>;
export type StreamProcessorConfig = z.infer<typeof StreamProcessorConfigSchema>;
export type CompactionConfig = z.infer<typeof CompactionConfigSchema>;
export type SweepConfig = z.infer<typeof SweepConfigSchema>;
export type ReceiptsReadConfig = z.infer<typeof ReceiptsReadConfigSchema>;
export type ReceiptsChangeConfig = z.infer<typeof ReceiptsChangeConfigSchema>;
export type ReceiptsExportConfig = z.infer<typeof ReceiptsExportConfigSchema>;
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

/**
 * Renamed variables, read under their old name when the new one is unset, so that a stack
 * deployed before the rename keeps working until its next deploy. Deprecated: docs/deploy.md.
 */
export const DEPRECATED_ALIASES: Readonly<Record<string, string>> = { OCR_JOB_QUEUE_URL: 'OCR_QUEUE_URL' };

function withDeprecatedAliases(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out = { ...env };
  for (const [name, old] of Object.entries(DEPRECATED_ALIASES)) {
    if (out[name] === undefined && out[old] !== undefined) out[name] = out[old];
  }
  return out;
}

/**
 * Parses environment variables once, at cold start. A missing or bad variable fails here with a
 * ConfigError that names every offending variable, instead of failing later mid-request.
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  fn: string,
): z.infer<S> {
  const parsed = schema.safeParse(withDeprecatedAliases(env));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`${fn}: invalid environment: ${problems.join('; ')}`);
}
