import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { UsageError } from '@receiptflow/core';

/** Where swift/build.sh puts the Vision helper; `--vision-helper` overrides it. */
export const DEFAULT_VISION_HELPER = fileURLToPath(new URL('../../swift/.build/receipt-ocr-vision', import.meta.url));

/** The command line of `receipt-ocr`. Every value is a string here; zod converts and checks. */
const OPTIONS = {
  'ocr-job-queue-url': { type: 'string' },
  'ocr-results-queue-url': { type: 'string' },
  'dynamo-table-name': { type: 'string' },
  region: { type: 'string' },
  continuous: { type: 'boolean' },
  engine: { type: 'string' },
  concurrency: { type: 'string' },
  'max-jobs': { type: 'string' },
  'endpoint-url': { type: 'string' },
  'log-format': { type: 'string' },
  'raw-bucket': { type: 'string' },
  'artifacts-bucket': { type: 'string' },
  'dead-letter-queue-url': { type: 'string' },
  'visibility-timeout': { type: 'string' },
  'wait-seconds': { type: 'string' },
  'vision-helper': { type: 'string' },
  'vision-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const USAGE = `Usage: receipt-ocr [options]

Drains the OCR job queue (or, with --continuous, polls it until SIGINT/SIGTERM): OCR each image,
store the OCR JSON and routing decision, send the results message, mark the job COMPLETED.
The seed's command runs as printed:
  receipt-ocr --ocr-job-queue-url URL --ocr-results-queue-url URL --dynamo-table-name NAME \\
              --region REGION --continuous

Required (a flag, or the environment variable in brackets):
  --ocr-job-queue-url URL        ocr-queue [OCR_JOB_QUEUE_URL; OCR_QUEUE_URL is deprecated]
  --ocr-results-queue-url URL    ocr-results-queue [OCR_RESULTS_QUEUE_URL]
  --dynamo-table-name NAME       the job table [DYNAMO_TABLE_NAME, then TABLE_NAME]

Options:
  --raw-bucket NAME              read images only from this bucket [RAW_BUCKET]; default: the
                                 bucket each message (or its job record) names
  --artifacts-bucket NAME        write OCR JSON here [ARTIFACTS_BUCKET]; default: the message's
                                 ocr_s3_bucket, else the image's own bucket
  --region REGION                default: $AWS_REGION, then $AWS_DEFAULT_REGION
  --endpoint-url URL             one endpoint for SQS, S3 and DynamoDB (emulators, LocalStack)
                                 [AWS_ENDPOINT_URL]
  --continuous                   keep polling when the queue is empty
  --engine vision|tesseract      default: vision on macOS, tesseract elsewhere
  --concurrency N                jobs at once, 1..32 (default 1)
  --max-jobs N                   stop after taking N messages
  --log-format json|pretty       default: pretty on a terminal, json otherwise
  --dead-letter-queue-url URL    send poison messages here and delete them (default: release
                                 them so the queue's redrive policy moves them to its DLQ)
  --visibility-timeout SECONDS   per message, renewed every third of it (default 120)
  --wait-seconds SECONDS         long poll 0..20 (default 20 with --continuous, else 2)
  --vision-helper PATH           the Swift helper (default swift/.build/receipt-ocr-vision)
  --vision-timeout SECONDS       kill the helper after this long (default 60)
  -h, --help                     show this help

A flag always wins over its environment variable.
Exit status: 0 done (drained, --max-jobs reached, or stopped by a signal), 1 failure, 2 usage error.
`;

/**
 * Flags that fall back to environment variables, first set wins: the deployment contract's
 * names (the Lambdas read the same ones) and the seed's. OCR_QUEUE_URL is the pre-seed name of
 * OCR_JOB_QUEUE_URL, still read so that existing shells keep working (deprecated).
 */
export const ENV_FALLBACKS: Readonly<Partial<Record<keyof typeof OPTIONS, readonly string[]>>> = {
  'ocr-job-queue-url': ['OCR_JOB_QUEUE_URL', 'OCR_QUEUE_URL'],
  'ocr-results-queue-url': ['OCR_RESULTS_QUEUE_URL'],
  'dynamo-table-name': ['DYNAMO_TABLE_NAME', 'TABLE_NAME'],
  'raw-bucket': ['RAW_BUCKET'],
  'artifacts-bucket': ['ARTIFACTS_BUCKET'],
  'endpoint-url': ['AWS_ENDPOINT_URL'],
};

const trimmed = z.string().trim().min(1, 'must not be empty');
const url = trimmed.pipe(z.url('must be a URL'));
// Not z.url(): emulators hand out queue URLs such as http://sqs.us-east-1.127.0.0.1:4566/0/q,
// which WHATWG URL parsing rejects; the SDK only passes the string along.
const queueUrl = trimmed.regex(/^https?:\/\/\S+\/\S+$/, 'must be an http(s) queue URL');
const int = (min: number, max: number) =>
  trimmed.regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(min).max(max));

const FlagsSchema = z.object({
  'ocr-job-queue-url': queueUrl,
  'ocr-results-queue-url': queueUrl,
  'dynamo-table-name': trimmed.pipe(
    z.string().min(3, 'must be 3..255 characters').max(255, 'must be 3..255 characters'),
  ),
  region: trimmed.optional(),
  continuous: z.boolean().default(false),
  engine: z.enum(['vision', 'tesseract'], 'must be vision or tesseract').optional(),
  concurrency: int(1, 32).default(1),
  'max-jobs': int(1, 1_000_000).optional(),
  'endpoint-url': url.optional(),
  'log-format': z.enum(['json', 'pretty'], 'must be json or pretty').optional(),
  'raw-bucket': trimmed.optional(),
  'artifacts-bucket': trimmed.optional(),
  'dead-letter-queue-url': queueUrl.optional(),
  'visibility-timeout': int(5, 43_200).default(120),
  'wait-seconds': int(0, 20).optional(),
  'vision-helper': trimmed.optional(),
  'vision-timeout': int(1, 3_600).default(60),
});

/** The worker's configuration, parsed once at the edge. */
export interface CliConfig {
  ocrJobQueueUrl: string;
  ocrResultsQueueUrl: string;
  dynamoTableName: string;
  region: string;
  continuous: boolean;
  engine: 'vision' | 'tesseract';
  concurrency: number;
  maxJobs: number | null;
  endpointUrl: string | null;
  logFormat: 'json' | 'pretty';
  /** Null: read each image from the bucket its message (or job record) names. */
  rawBucket: string | null;
  /** Null: write OCR JSON to the message's ocr_s3_bucket, else next to the image. */
  artifactsBucket: string | null;
  deadLetterQueueUrl: string | null;
  visibilityTimeoutSeconds: number;
  waitSeconds: number;
  visionHelperPath: string;
  visionTimeoutMs: number;
}

/** What the defaults depend on, passed in so that parsing stays a pure function. */
export interface CliEnvironment {
  env: Record<string, string | undefined>;
  platform: string;
  stdoutIsTty: boolean;
}

export type ParsedCommandLine = { help: true } | { help: false; config: CliConfig };

/**
 * Parses and validates the arguments (without `node` and the script). A leading literal `--`
 * (as `pnpm run x -- --flag` passes it) is ignored. Throws UsageError naming the bad flag.
 */
export function parseCommandLine(argv: readonly string[], environment: CliEnvironment): ParsedCommandLine {
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    // node names the flag: "Unknown option '--foo'", "Option '--region <value>' argument missing".
    throw new UsageError((error as Error).message, { cause: error });
  }
  if (values.help) return { help: true };

  // Flags first, then their environment variables; remember which variable filled a flag so an
  // error names what the user actually set.
  const fromEnv = new Map<string, string>();
  for (const [flag, names] of Object.entries(ENV_FALLBACKS)) {
    if (values[flag] !== undefined || !names) continue;
    const name = names.find((n) => environment.env[n] !== undefined && environment.env[n] !== '');
    if (name === undefined) continue;
    values[flag] = environment.env[name];
    fromEnv.set(flag, name);
  }

  const parsed = FlagsSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const flag = String(issue.path[0]);
      if (issue.code === 'invalid_type' && values[flag] === undefined) {
        const names = ENV_FALLBACKS[flag as keyof typeof OPTIONS];
        return `--${flag} is required${names ? ` (or set ${names[0]})` : ''}`;
      }
      const env = fromEnv.get(flag);
      return env ? `${env} (for --${flag}) ${issue.message}` : `--${flag} ${issue.message}`;
    });
    throw new UsageError(problems.join('; '));
  }
  const f = parsed.data;
  const region = f.region ?? environment.env.AWS_REGION ?? environment.env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('--region is required (or set AWS_REGION)');
  return {
    help: false,
    config: {
      ocrJobQueueUrl: f['ocr-job-queue-url'],
      ocrResultsQueueUrl: f['ocr-results-queue-url'],
      dynamoTableName: f['dynamo-table-name'],
      region,
      continuous: f.continuous,
      engine: f.engine ?? (environment.platform === 'darwin' ? 'vision' : 'tesseract'),
      concurrency: f.concurrency,
      maxJobs: f['max-jobs'] ?? null,
      endpointUrl: f['endpoint-url'] ?? null,
      logFormat: f['log-format'] ?? (environment.stdoutIsTty ? 'pretty' : 'json'),
      rawBucket: f['raw-bucket'] ?? null,
      // OCR JSON lives under ocr/, raw images under raw/: one bucket can hold both, so without a
      // flag the worker follows the message (ocr_s3_bucket, else the image's bucket).
      artifactsBucket: f['artifacts-bucket'] ?? null,
      deadLetterQueueUrl: f['dead-letter-queue-url'] ?? null,
      visibilityTimeoutSeconds: f['visibility-timeout'],
      // Draining ends at the first empty receive; a short long-poll still asks every SQS host.
      waitSeconds: f['wait-seconds'] ?? (f.continuous ? 20 : 2),
      visionHelperPath: f['vision-helper'] ?? DEFAULT_VISION_HELPER,
      visionTimeoutMs: f['vision-timeout'] * 1000,
    },
  };
}
