import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { jobTableCreateInput } from '@receiptflow/adapters-aws/dynamodb';

/** SDK settings for emulator clients: dummy credentials, few retries, short timeouts. */
export interface TestClientOptions {
  /** SDK attempts per call (default 2), so a dead endpoint fails fast. */
  maxAttempts?: number;
  /** Connect timeout in ms (default 1000). */
  connectionTimeoutMs?: number;
  /** Per-request socket timeout in ms (default 10000; SQS long polls need more). */
  requestTimeoutMs?: number;
}

function baseConfig(endpoint: string, options: TestClientOptions) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: options.maxAttempts ?? 2,
    // An options object: the SDK builds its node http handler from it.
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 1_000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
    },
  };
}

export function createTestDynamoDbClient(endpoint: string, options: TestClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(baseConfig(endpoint, options));
}

/** A DocumentClient over a new test DynamoDBClient (reach the base client via `.config` or pass your own). */
export function createTestDocumentClient(
  endpointOrClient: string | DynamoDBClient,
  options: TestClientOptions = {},
): DynamoDBDocumentClient {
  const client =
    typeof endpointOrClient === 'string' ? createTestDynamoDbClient(endpointOrClient, options) : endpointOrClient;
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createTestS3Client(endpoint: string, options: TestClientOptions = {}): S3Client {
  return new S3Client({ ...baseConfig(endpoint, options), forcePathStyle: true });
}

export function createTestSqsClient(endpoint: string, options: TestClientOptions = {}): SQSClient {
  return new SQSClient(baseConfig(endpoint, { requestTimeoutMs: 30_000, ...options }));
}

/** Creates the job table (from the shared table definition) and waits until it is ACTIVE. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(jobTableCreateInput(tableName)));
  for (let i = 0; i < 100; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (out.Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
    if (out.Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** A name unique per call that AWS accepts for tables, buckets and queues (lowercase, ≤ 63). */
export function uniqueResourceName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 18)}`.toLowerCase();
}

/** Creates a bucket named `uniqueResourceName(prefix)` and returns its name. */
export async function createBucket(client: S3Client, prefix: string): Promise<string> {
  const bucket = uniqueResourceName(prefix);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}
