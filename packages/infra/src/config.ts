import { DEFAULT_OWNER, OwnerSchema } from '@receiptflow/core';
import * as z from 'zod';
import { FUNCTION_NAMES, type FunctionName } from './function-specs.js';
import { InfraConfigError } from './errors.js';

/** The Pulumi config namespace of this project (`Pulumi.yaml` `name`). */
export const CONFIG_NAMESPACE = 'receiptflow';

/** Keys that must be set with `pulumi config set --secret`. */
export const SECRET_KEYS = ['openaiApiKey', 'googlePlacesApiKey', 'apiKeySha256'] as const;

/** Pulumi stores every config value as a string; objects and arrays as JSON. */
const jsonOf = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v);
    } catch {
      return v; // let the inner schema report the type error with the key's name
    }
  }, schema);

/** Values CloudWatch Logs accepts for a log group's retention (the common ones). */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 180, 365];

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

/** Per-function overrides; anything unset keeps the defaults of `function-specs.ts`. */
const FunctionOverrideSchema = z
  .object({
    timeoutSeconds: int(1, 900).optional(),
    memoryMb: int(128, 10240).optional(),
    reservedConcurrency: int(1, 1000).optional(),
    maxConcurrency: int(2, 1000).optional(),
  })
  .strict();

// Each entry `owner:sha256hex` (the key's owner, docs/api.md#owners) or a bare digest (the
// default owner's key, as every stack was configured before owners existed).
const KEY_ENTRY = '(?:[A-Za-z0-9._@-]{1,128}:)?[0-9a-f]{64}';
const Sha256List = z
  .string()
  .regex(
    new RegExp(`^${KEY_ENTRY}(,${KEY_ENTRY})*$`),
    'comma-separated lowercase hex SHA-256 digests (64 chars each), each optionally after its owner and a colon (owner:sha256)',
  );

/**
 * The typed stack config. Keys are the names after `receiptflow:` in `Pulumi.<stack>.yaml`;
 * docs/deploy.md lists each with its meaning.
 */
export const StackConfigSchema = z
  .object({
    vpcCidr: z
      .string()
      .regex(/^10\.\d{1,3}\.0\.0\/16$/, 'a /16 in 10.0.0.0/8 such as 10.20.0.0/16')
      .default('10.20.0.0/16'),
    availabilityZones: jsonOf(z.array(z.string().min(1)).min(2).max(3)).optional(),
    azCount: int(2, 3).default(2),
    natInstanceType: z
      .string()
      .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as t4g.nano')
      .default('t4g.nano'),
    natAmiId: z
      .string()
      .regex(/^ami-[0-9a-f]+$/)
      .optional(),
    /**
     * Where the vector index lives (docs/vector-storage.md). `efs` (default): the index files on
     * EFS, compaction the single writer, process-OCR-results following read-only; no server.
     * `server`: a Chroma server (`chromaMode`). `s3`: the same files as objects under `index/`
     * in the vectors bucket; no EFS.
     */
    vectorStorageMode: z.enum(['server', 'efs', 's3']).default('efs'),
    efsStorageGbEstimate: z.coerce.number().min(0).default(1),
    maxReceiveCount: int(5, 1000).default(5),
    messageRetentionSeconds: int(3600, 1_209_600).default(345_600),
    ocrWorkerTimeoutSeconds: int(10, 7200).default(120),
    functions: jsonOf(z.partialRecord(z.enum(FUNCTION_NAMES), FunctionOverrideSchema)).default({}),
    streamParallelizationFactor: int(1, 10).default(1),
    chromaMode: z.enum(['external', 'fargate']).default('external'),
    chromaUrl: z.url().optional(),
    chromaImage: z.string().min(1).default('chromadb/chroma:1.0.20'),
    chromaCpu: z.coerce
      .number()
      .refine((n) => [256, 512, 1024, 2048].includes(n), 'one of 256, 512, 1024, 2048 (Fargate CPU units)')
      .default(512),
    chromaMemoryMb: int(512, 16384).default(1024),
    embeddingModel: z.string().min(1).default('text-embedding-3-small'),
    embeddingDimensions: int(1, 3072).default(512),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    logRetentionDays: z.coerce
      .number()
      .refine((d) => LOG_RETENTION_DAYS.includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`)
      .default(30),
    snapshotNoncurrentDays: int(1, 3650).default(30),
    deltaExpirationDays: int(1, 3650).default(30),
    apiDomainName: z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'a DNS name such as api.example.com')
      .optional(),
    apiCertificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/.+$/)
      .optional(),
    apiHostedZoneId: z
      .string()
      .regex(/^Z[A-Z0-9]+$/)
      .optional(),
    apiThrottleRateLimit: int(1, 10000).default(20),
    apiThrottleBurstLimit: int(1, 5000).default(40),
    oldestMessageAgeAlarmSeconds: int(60, 1_209_600).default(3600),
    failureAlarmThreshold: int(1, 100_000).default(5),
    alarmEmail: z.email().optional(),
    placeholderCode: bool.default(false),
    handlersDistDir: z.string().min(1).optional(),
    openaiApiKey: z.string().min(1),
    googlePlacesApiKey: z.string().min(1),
    placesPhoneCountry: z
      .string()
      .regex(/^[A-Z]{2}$/, 'an ISO 3166 country code in capitals, such as GB or MY')
      .optional(),
    apiKeySha256: Sha256List,
    /**
     * The owners (as `apiKeySha256` names them) whose keys are operators' keys: they may call the
     * operator routes (`/pipeline…`, docs/api.md#pipeline-operators-only). A JSON array such as
     * `["ops"]`; none by default, and then every caller of those routes gets 403.
     */
    operatorOwners: jsonOf(z.array(OwnerSchema)).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.vectorStorageMode === 'server') {
      if (c.chromaMode === 'external' && !c.chromaUrl) {
        ctx.addIssue({
          code: 'custom',
          path: ['chromaUrl'],
          message:
            'required when vectorStorageMode is server and chromaMode is external (there is no default URL): `pulumi config set chromaUrl https://...`, or chromaMode fargate, or vectorStorageMode efs',
        });
      }
      if (c.chromaMode === 'fargate' && c.chromaUrl) {
        ctx.addIssue({
          code: 'custom',
          path: ['chromaUrl'],
          message: 'must be unset when chromaMode is fargate (the URL is derived)',
        });
      }
    } else if (c.chromaUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['chromaUrl'],
        message: `only used when vectorStorageMode is server (it is ${c.vectorStorageMode})`,
      });
    }
    if (c.apiDomainName && !c.apiCertificateArn && !c.apiHostedZoneId) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiDomainName'],
        message: 'needs apiCertificateArn, or apiHostedZoneId to issue a DNS-validated certificate',
      });
    }
    if (!c.apiDomainName && (c.apiCertificateArn || c.apiHostedZoneId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['apiDomainName'],
        message: 'required when apiCertificateArn or apiHostedZoneId is set',
      });
    }
    // An operator named without a key would be a typo that silently leaves the routes closed.
    const keyOwners = new Set(
      c.apiKeySha256.split(',').map((entry) => (entry.includes(':') ? entry.split(':')[0]! : DEFAULT_OWNER)),
    );
    const keyless = c.operatorOwners.filter((o) => !keyOwners.has(o));
    if (keyless.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['operatorOwners'],
        message: `${keyless.join(', ')}: no key of apiKeySha256 belongs to this owner (owner:sha256)`,
      });
    }
    if (c.availabilityZones && c.availabilityZones.length !== c.azCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['availabilityZones'],
        message: `lists ${c.availabilityZones.length} zones but azCount is ${c.azCount}`,
      });
    }
  });

/** Validated stack config, defaults applied. */
export type StackConfig = z.infer<typeof StackConfigSchema>;
/** What `parseStackConfig` accepts: config values keyed without the namespace. */
export type RawStackConfig = Record<string, string | number | boolean | object | undefined>;

/**
 * Validates raw config (keys without the `receiptflow:` prefix). Throws an InfraConfigError
 * that names every bad key, e.g. `receiptflow:natInstanceType: an EC2 instance type ...`.
 */
export function parseStackConfig(raw: RawStackConfig): StackConfig {
  const result = StackConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const [head, ...rest] = issue.path.map(String);
    const key =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(', ')
        : `${CONFIG_NAMESPACE}:${head ?? '?'}`;
    const suffix = rest.length > 0 ? ` (at ${rest.join('.')})` : '';
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined') && rest.length === 0;
    const isSecret = (SECRET_KEYS as readonly string[]).includes(head ?? '');
    const message =
      issue.code === 'unrecognized_keys'
        ? 'unknown config key (typo?)'
        : missing
          ? `required; set it with \`pulumi config set ${isSecret ? '--secret ' : ''}${head} ...\``
          : issue.message;
    return `${key}${suffix}: ${message}`;
  });
  throw new InfraConfigError(`Invalid stack config:\n  ${lines.join('\n  ')}`);
}

/**
 * Reads this project's keys from the running Pulumi program's config, checks that the
 * secrets were stored with `--secret`, then validates with `parseStackConfig`.
 */
export function readStackConfig(all: Record<string, string>, isSecret: (fullKey: string) => boolean): StackConfig {
  const raw: RawStackConfig = {};
  for (const [fullKey, value] of Object.entries(all)) {
    const [ns, key] = fullKey.split(':', 2);
    if (ns === CONFIG_NAMESPACE && key) raw[key] = value;
  }
  const plain = SECRET_KEYS.filter((k) => raw[k] !== undefined && !isSecret(`${CONFIG_NAMESPACE}:${k}`));
  if (plain.length > 0) {
    throw new InfraConfigError(
      `Invalid stack config:\n  ${plain.map((k) => `${CONFIG_NAMESPACE}:${k}: stored in plain text; set it with \`pulumi config set --secret ${k}\``).join('\n  ')}`,
    );
  }
  return parseStackConfig(raw);
}

/** Overrides for one function, or an empty object. */
export function overridesFor(cfg: StackConfig, fn: FunctionName): z.infer<typeof FunctionOverrideSchema> {
  return cfg.functions[fn] ?? {};
}
