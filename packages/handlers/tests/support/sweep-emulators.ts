import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createQueueWithDlq } from '@receiptflow/adapters-aws/sqs';
import {
  createTable,
  createTestDocumentClient,
  createTestDynamoDbClient,
  createTestSqsClient,
  startDynalite,
  uniqueResourceName,
} from '@receiptflow/devkit/emulators';
import { startFauxqs } from 'fauxqs';
import { startAwsProxy } from './aws-proxy.js';

/** The sweep Lambda's AWS side on emulators: its job table on dynalite, its three queues on fauxqs. */
export interface SweepEmulators {
  /** A document client on the job table's dynalite. */
  doc: DynamoDBDocumentClient;
  /** A client on the queues' fauxqs. */
  sqs: SQSClient;
  tableName: string;
  queueUrls: { ocr: string; results: string; compaction: string };
  /**
   * The sweep's environment, as on Lambda: one AWS_ENDPOINT_URL for DynamoDB and SQS (a proxy in
   * front of both, support/aws-proxy.ts) and credentials from the environment.
   */
  env: Record<string, string>;
  /** Closes the proxy and the clients, and stops both emulators. */
  stop(): Promise<void>;
}

/**
 * Starts dynalite and fauxqs behind one endpoint, with the job table and the sweep's queues
 * (ocr-queue, ocr-results-queue, compaction-queue, each with its DLQ) created.
 *
 * @example
 * const aws = await startSweepEmulators();
 * for (const [name, value] of Object.entries(aws.env)) vi.stubEnv(name, value);
 * // … the sweep's handler, then: await aws.stop();
 */
export async function startSweepEmulators(): Promise<SweepEmulators> {
  // Without a host, fauxqs answers queue URLs on sqs.<region>.localhost, which the config's URL check accepts.
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  const fauxqsEndpoint = `http://127.0.0.1:${fauxqs.port}`;
  const dynamo = await startDynalite().catch(async (error: unknown) => {
    await fauxqs.stop();
    throw error;
  });
  const ddb = createTestDynamoDbClient(dynamo.endpoint);
  const sqs = createTestSqsClient(fauxqsEndpoint);
  let closeProxy = async () => {};
  const stop = async () => {
    await closeProxy();
    ddb.destroy();
    sqs.destroy();
    await Promise.all([dynamo.stop(), fauxqs.stop()]);
  };
  try {
    const proxy = await startAwsProxy(dynamo.endpoint, fauxqsEndpoint);
    closeProxy = () => proxy.close();
    const tableName = uniqueResourceName('jobs');
    await createTable(ddb, tableName);
    const queueUrl = async (name: string) =>
      (
        await createQueueWithDlq(sqs, uniqueResourceName(name), {
          maxReceiveCount: 5,
          visibilityTimeoutSeconds: 30,
          retentionSeconds: 345_600,
        })
      ).queueUrl;
    const queueUrls = {
      ocr: await queueUrl('ocr-queue'),
      results: await queueUrl('ocr-results-queue'),
      compaction: await queueUrl('compaction-queue'),
    };
    const env = {
      TABLE_NAME: tableName,
      OCR_JOB_QUEUE_URL: queueUrls.ocr,
      OCR_RESULTS_QUEUE_URL: queueUrls.results,
      COMPACTION_QUEUE_URL: queueUrls.compaction,
      ARTIFACTS_BUCKET: 'artifacts-bucket',
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      LOG_LEVEL: 'error',
      SWEEP_MIN_AGE_SECONDS: '300',
    };
    return { doc: createTestDocumentClient(ddb), sqs, tableName, queueUrls, env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
