import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock, ImageStoreProvider, NamedImageStore, OcrJobStore, Queue } from '@receiptflow/core';
import { DynamoDbOcrJobStore } from '@receiptflow/adapters-aws/dynamodb';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import type { CliConfig } from './args.js';

/** The AWS-backed ports of the worker, and how to close their clients. */
export interface AwsRuntime {
  ocrQueue: Queue;
  resultsQueue: Queue;
  jobs: OcrJobStore;
  /** One bucket's store with --raw-bucket, else a store per bucket the messages name. */
  images: NamedImageStore | ImageStoreProvider;
  /** One bucket's store with --artifacts-bucket, else a store per bucket the messages name. */
  artifacts: NamedImageStore | ImageStoreProvider;
  close(): void;
}

/**
 * SDK clients from the flags: one region, and one `--endpoint-url` for all three services (the
 * emulators and LocalStack serve them on one port). Credentials come from the SDK's default
 * chain (env, profile, SSO, instance role).
 */
export function createAwsRuntime(config: CliConfig, clock: Clock): AwsRuntime {
  const common = {
    region: config.region,
    ...(config.endpointUrl ? { endpoint: config.endpointUrl } : {}),
    maxAttempts: 3,
    retryMode: 'standard',
  };
  // Every call gets request and socket timeouts that throw, so that a stalled connection fails
  // (and is retried) instead of hanging a job while its heartbeat keeps the message invisible
  // (docs/lessons.md#lesson-18-a-stalled-copy-held-messages-for-900-s). Without
  // throwOnRequestTimeout, @smithy/node-http-handler 4.14 only logs a passed requestTimeout. SQS
  // long polls hold the request open for --wait-seconds, so its timeouts are longer than that.
  const timeouts = (requestTimeout: number) => ({
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout,
      throwOnRequestTimeout: true,
      socketTimeout: requestTimeout,
    },
  });
  const sqs = new SQSClient({ ...common, ...timeouts((config.waitSeconds + 15) * 1000) });
  // Emulators serve buckets by path, not by subdomain.
  const s3 = new S3Client({ ...common, ...timeouts(60_000), forcePathStyle: config.endpointUrl !== null });
  const dynamo = new DynamoDBClient({ ...common, ...timeouts(30_000) });
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });

  // One S3ImageStore per bucket, shared by images and artifacts: a message names its buckets.
  const stores = new Map<string, S3ImageStore>();
  const storeFor = (bucket: string): S3ImageStore => {
    let store = stores.get(bucket);
    if (!store) stores.set(bucket, (store = new S3ImageStore(s3, { bucket })));
    return store;
  };
  const buckets: ImageStoreProvider = { forBucket: storeFor };
  return {
    // With --dead-letter-queue-url, a poison message goes there at once with its reason; without
    // it, the worker releases it and the queue's redrive policy moves it after maxReceiveCount.
    ocrQueue: new SqsQueue(sqs, {
      queueUrl: config.ocrJobQueueUrl,
      ...(config.deadLetterQueueUrl ? { deadLetterQueueUrl: config.deadLetterQueueUrl } : {}),
    }),
    resultsQueue: new SqsQueue(sqs, { queueUrl: config.ocrResultsQueueUrl }),
    jobs: new DynamoDbOcrJobStore(doc, { tableName: config.dynamoTableName, clock }),
    images: config.rawBucket === null ? buckets : storeFor(config.rawBucket),
    artifacts: config.artifactsBucket === null ? buckets : storeFor(config.artifactsBucket),
    close() {
      sqs.destroy();
      s3.destroy();
      dynamo.destroy();
    },
  };
}
