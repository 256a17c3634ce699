import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createQueueWithDlq } from '@receiptflow/adapters-aws/sqs';
import {
  createTable,
  createTestDocumentClient,
  createTestDynamoDbClient,
  createTestS3Client,
  createTestSqsClient,
  startDynalite,
  startFauxqs,
} from '../emulators/index.js';
import { startEmulatorGateway } from './emulator-gateway.js';

export interface EmulatorStackOptions {
  /** Gateway port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** ocr-queue's own visibility timeout (the worker overrides it per receive). Default 60. */
  visibilityTimeoutSeconds?: number;
  /** Receives before ocr-queue moves a message to ocr-queue-dlq. Default 5. */
  maxReceiveCount?: number;
}

/** Everything the worker needs, on local emulators behind one endpoint. */
export interface EmulatorStack {
  endpoint: string;
  region: string;
  tableName: string;
  rawBucket: string;
  artifactsBucket: string;
  ocrQueueUrl: string;
  ocrDlqUrl: string;
  resultsQueueUrl: string;
  resultsDlqUrl: string;
  clients: { sqs: SQSClient; s3: S3Client; dynamo: DynamoDBClient; doc: DynamoDBDocumentClient };
  /** `receipt-ocr` flags for this stack, buckets included (without --engine and the run-mode flags). */
  workerFlags(): string[];
  /**
   * The seed's command line for this stack, flag for flag: `--ocr-job-queue-url --ocr-results-queue-url
   * --dynamo-table-name --region --continuous`, no buckets. The endpoint goes in `env`.
   */
  seedCommand(): { args: string[]; env: Record<string, string> };
  stop(): Promise<void>;
}

/**
 * Starts dynalite and fauxqs in-process behind the emulator gateway, and creates what the
 * deployment has: the job table, `ocr-queue` and `ocr-results-queue` each with a DLQ, and the raw
 * and artifacts buckets. For `packages/devkit/scripts/dev-emulators.ts` and the end-to-end tests.
 */
export async function startEmulatorStack(options: EmulatorStackOptions = {}): Promise<EmulatorStack> {
  const dynalite = await startDynalite();
  const fauxqs = await startFauxqs();
  const gateway = await startEmulatorGateway({
    dynamoEndpoint: dynalite.endpoint,
    fauxqsEndpoint: fauxqs.endpoint,
    port: options.port ?? 0,
  });
  const endpoint = gateway.endpoint;
  const sqs = createTestSqsClient(endpoint);
  const s3 = createTestS3Client(endpoint);
  const dynamo = createTestDynamoDbClient(endpoint);
  const doc = createTestDocumentClient(dynamo);

  const tableName = 'receiptflow';
  const rawBucket = 'receiptflow-raw';
  const artifactsBucket = 'receiptflow-artifacts';
  await createTable(dynamo, tableName);
  for (const bucket of [rawBucket, artifactsBucket]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const redrive = {
    maxReceiveCount: options.maxReceiveCount ?? 5,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 60,
    retentionSeconds: 345_600,
    allowLowMaxReceiveCount: true,
  };
  const ocr = await createQueueWithDlq(sqs, 'ocr-queue', redrive);
  const results = await createQueueWithDlq(sqs, 'ocr-results-queue', { ...redrive, maxReceiveCount: 5 });

  // What the worker and the seeder both need: the two queues they share and the job table.
  const tableAndQueueFlags = [
    '--ocr-job-queue-url',
    ocr.queueUrl,
    '--ocr-results-queue-url',
    results.queueUrl,
    '--dynamo-table-name',
    tableName,
  ];
  return {
    endpoint,
    region: 'us-east-1',
    tableName,
    rawBucket,
    artifactsBucket,
    ocrQueueUrl: ocr.queueUrl,
    ocrDlqUrl: ocr.dlqUrl,
    resultsQueueUrl: results.queueUrl,
    resultsDlqUrl: results.dlqUrl,
    clients: { sqs, s3, dynamo, doc },
    workerFlags: () => [
      ...tableAndQueueFlags,
      '--raw-bucket',
      rawBucket,
      '--artifacts-bucket',
      artifactsBucket,
      '--region',
      'us-east-1',
      '--endpoint-url',
      endpoint,
    ],
    seedCommand: () => ({
      args: [...tableAndQueueFlags, '--region', 'us-east-1', '--continuous'],
      env: { AWS_ENDPOINT_URL: endpoint },
    }),
    async stop() {
      sqs.destroy();
      s3.destroy();
      dynamo.destroy();
      await gateway.stop();
      await Promise.all([fauxqs.stop(), dynalite.stop()]);
    },
  };
}
