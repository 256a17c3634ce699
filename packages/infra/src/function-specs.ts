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

export const FUNCTION_SPECS: Readonly<Record<FunctionName, FunctionSpec>> = {
  upload: {
    name: 'upload',
    inVpc: false,
    // An HTTP API integration times out at 30 s; stay under it.
    timeoutSeconds: 29,
    memoryMb: 512,
    reservedConcurrency: undefined,
    trigger: { kind: 'http' },
    external: [],
    secrets: ['API_KEY_SHA256'],
  },
  'receipts-read': {
    name: 'receipts-read',
    // GET …/similar queries the vector index: Chroma listens in the private subnets (server
    // mode, Fargate) and the index files are on the EFS mount (efs mode); both need the VPC. Its
    // other calls, DynamoDB reads, take the free gateway endpoint; image URLs are signed locally.
    inVpc: true,
    timeoutSeconds: 29,
    // In efs and s3 mode the similar route follows the index files in memory, as the results step does.
    memoryMb: 1024,
    reservedConcurrency: undefined,
    trigger: { kind: 'http' },
    external: ['chroma'],
    secrets: ['API_KEY_SHA256'],
  },
  'receipts-change': {
    name: 'receipts-change',
    // DynamoDB and S3 only (the vectors follow through the stream processor): no VPC, no ENI.
    inVpc: false,
    timeoutSeconds: 29,
    memoryMb: 256,
    reservedConcurrency: undefined,
    trigger: { kind: 'http' },
    external: [],
    secrets: ['API_KEY_SHA256'],
  },
  'receipts-export': {
    name: 'receipts-export',
    // The catalog's GSIs and the export bucket: DynamoDB and S3 only, no VPC, no ENI.
    inVpc: false,
    // The export must finish, and its 303 be answered, inside the HTTP API's 30 s integration
    // timeout: past that the caller gets a 503 and never learns the object's key. The
    // receipt limit this puts on one export is in docs/export.md#on-aws.
    timeoutSeconds: 29,
    // One 5 MiB part filling and one in flight; the memory buys the CPU that CSV encoding needs.
    memoryMb: 512,
    reservedConcurrency: undefined,
    trigger: { kind: 'http' },
    external: [],
    secrets: ['API_KEY_SHA256'],
  },
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
