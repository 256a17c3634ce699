/**
 * The Lambdas of the deployment contract, as plain data: where each runs, what triggers
 * it, and which network paths it needs. `lambdas.ts` turns these into resources; the network
 * doctor checks the paths; the cost model reads timeouts and memory.
 */

/** Bundle names: `packages/handlers/dist/<name>/index.mjs`. */
export const FUNCTION_NAMES = [
  'upload',
  'receipts-read',
  'receipts-change',
  'receipts-export',
  'pipeline',
  'authorizer',
  'process-ocr-results',
  'stream-processor',
  'compaction',
  'sweep',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * A network path a function needs from inside the VPC. Functions outside the VPC reach AWS
 * APIs and the internet through Lambda's own network and need none of these checked.
 * - `s3`, `dynamodb`: gateway endpoints (free);
 * - `sqs`, `logs`, `monitoring`, `sns`, `secretsmanager`, `kms`, `ssm`: interface endpoints, one
 *   per AWS API the function's code calls (derived from its IAM policy, see `endpoints.ts`);
 * - `internet`: through the NAT instance: OpenAI and Google Places, and the AWS APIs of
 *   `NAT_SERVICES` (endpoints.ts: SQS, the consumers' short retries on their own queue);
 * - `efs`: NFS (2049) to a mount target; `chroma`: the vector store's HTTP port.
 */
export const NETWORK_PATHS = [
  'sqs',
  'logs',
  'monitoring',
  'sns',
  'secretsmanager',
  'kms',
  'ssm',
  's3',
  'dynamodb',
  'internet',
  'efs',
  'chroma',
] as const;
export type NetworkPath = (typeof NETWORK_PATHS)[number];

/** Destinations outside AWS's APIs that a function's code calls (AWS APIs come from its IAM policy). */
export type ExternalPath = 'internet' | 'chroma';

/** What invokes a function. */
export type Trigger =
  | { kind: 'http' }
  /** The HTTP API's Lambda REQUEST authorizer, invoked before the routes' integration. */
  | { kind: 'api-authorizer' }
  | { kind: 'sqs'; queue: 'ocr-results' | 'compaction'; batchSize: number; maxConcurrency: number }
  | { kind: 'dynamodb-stream'; batchSize: number }
  /** An EventBridge rule, `rate(<n> minutes)`. */
  | { kind: 'schedule'; rateMinutes: number };

/** Defaults for one function; `receiptflow:functions` overrides timeout, memory and concurrency. */
export interface FunctionSpec {
  name: FunctionName;
  /** In the private subnets (true) or on Lambda's own network (false). */
  inVpc: boolean;
  timeoutSeconds: number;
  memoryMb: number;
  /** Reserved concurrency; for queue consumers it must be ≥ the mapping's maximum concurrency. */
  reservedConcurrency: number | undefined;
  trigger: Trigger;
  /**
   * Non-AWS destinations its code calls. The AWS APIs it calls are not listed here: they are
   * read from its IAM policy (`servicesCalledByCode`), so that endpoints follow what it may call.
   */
  external: readonly ExternalPath[];
  /** Secrets from stack config that this function receives as env vars. */
  secrets: readonly ('OPENAI_API_KEY' | 'GOOGLE_PLACES_API_KEY' | 'API_KEY_SHA256')[];
}

/**
 * What every function behind the HTTP API shares: invoked by its routes, given the key hashes
 * (its router checks the key again), and an HTTP API integration times out at 30 s, so each
 * stays under it. Outside the VPC unless it says otherwise.
 */
const apiFunction = (
  name: FunctionName,
  spec: Pick<FunctionSpec, 'memoryMb'> & Partial<Pick<FunctionSpec, 'inVpc' | 'external'>>,
): FunctionSpec => ({
  name,
  inVpc: false,
  timeoutSeconds: 29,
  reservedConcurrency: undefined,
  trigger: { kind: 'http' },
  external: [],
  secrets: ['API_KEY_SHA256'],
  ...spec,
});

export const FUNCTION_SPECS: Readonly<Record<FunctionName, FunctionSpec>> = {
  upload: apiFunction('upload', { memoryMb: 512 }),
  // GET …/similar queries the vector index: Chroma listens in the private subnets (server mode,
  // Fargate) and the index files are on the EFS mount (efs mode); both need the VPC. Its other
  // calls, DynamoDB reads, take the free gateway endpoint; image URLs are signed locally. In efs
  // and s3 mode the similar route follows the index files in memory, as the results step does.
  'receipts-read': apiFunction('receipts-read', { inVpc: true, memoryMb: 1024, external: ['chroma'] }),
  // DynamoDB and S3 (the vectors follow through the stream processor), and Google Places for
  // GET /places (merchant search for corrections): outside the VPC, Lambda's own network reaches
  // all of them, no ENI and no NAT. It already writes the table, which the Places cache needs;
  // receipts-read, in the VPC and read-only, would need both the NAT and table writes.
  'receipts-change': {
    ...apiFunction('receipts-change', { memoryMb: 256, external: ['internet'] }),
    secrets: ['API_KEY_SHA256', 'GOOGLE_PLACES_API_KEY'],
  },
  // The catalog's GSIs and the export bucket: DynamoDB and S3 only, no VPC. The export is written
  // before the 303 is answered, so all of it must fit in the 29 s (past the HTTP API's 30 s the
  // caller gets an error and no URL; the receipt limit this sets is in docs/export.md#on-aws).
  // 512 MB: one 5 MiB part filling and one in flight, and the CPU that CSV encoding needs.
  'receipts-export': apiFunction('receipts-export', { memoryMb: 512 }),
  // The operator routes: DynamoDB (GSI1 counts, unfinished runs) and SQS (depths, DLQ listing,
  // redrive) only, so outside the VPC: its SQS calls need no endpoint and no NAT. A DLQ listing
  // long-polls 1 s per batch of 10, about 11 s for the 100 at most one request lists.
  pipeline: apiFunction('pipeline', { memoryMb: 256 }),
  authorizer: {
    name: 'authorizer',
    inVpc: false,
    // A hash comparison: API Gateway waits at most 10 s for an authorizer.
    timeoutSeconds: 5,
    memoryMb: 128,
    reservedConcurrency: undefined,
    trigger: { kind: 'api-authorizer' },
    external: [],
    secrets: ['API_KEY_SHA256'],
  },
  'process-ocr-results': {
    name: 'process-ocr-results',
    inVpc: true,
    timeoutSeconds: 300,
    memoryMb: 1024,
    reservedConcurrency: 5,
    trigger: { kind: 'sqs', queue: 'ocr-results', batchSize: 5, maxConcurrency: 5 },
    // OpenAI embeddings and Google Places through the NAT; Chroma for vector memory.
    external: ['internet', 'chroma'],
    secrets: ['OPENAI_API_KEY', 'GOOGLE_PLACES_API_KEY'],
  },
  'stream-processor': {
    name: 'stream-processor',
    inVpc: false,
    timeoutSeconds: 60,
    memoryMb: 256,
    reservedConcurrency: 4,
    trigger: { kind: 'dynamodb-stream', batchSize: 100 },
    external: [],
    secrets: [],
  },
  compaction: {
    name: 'compaction',
    inVpc: true,
    timeoutSeconds: 600,
    memoryMb: 2048,
    // Merges are serialised by the compaction lock; 2 is the smallest SQS maximum concurrency.
    reservedConcurrency: 2,
    trigger: { kind: 'sqs', queue: 'compaction', batchSize: 10, maxConcurrency: 2 },
    external: ['chroma'],
    secrets: [],
  },
  sweep: {
    name: 'sweep',
    // Only AWS APIs (DynamoDB, SQS): Lambda's own network reaches them, no ENI, no NAT.
    inVpc: false,
    timeoutSeconds: 120,
    memoryMb: 256,
    // One sweep at a time: two overlapping sweeps would re-send the same work twice.
    reservedConcurrency: 1,
    // Finds images stopped short of `compacted` (lost messages, runs left PENDING) and
    // re-sends them to their first unfinished step; see docs/operations.md, Recovery.
    trigger: { kind: 'schedule', rateMinutes: 5 },
    external: [],
    secrets: [],
  },
};
