/**
 * In-process AWS emulators for tests and dev scripts: dynalite (DynamoDB) and fauxqs (SQS + S3)
 * on free 127.0.0.1 ports, and SDK clients pointed at them. Loading this entry does not load the
 * fake HTTP servers, Chroma or the bench.
 *
 * @example
 * ```ts
 * import { createTable, createTestDynamoDbClient, startDynalite, uniqueResourceName } from '@receiptflow/devkit/emulators';
 *
 * const dynalite = await startDynalite();
 * const client = createTestDynamoDbClient(dynalite.endpoint);
 * const table = uniqueResourceName('jobs');
 * await createTable(client, table); // the job table, ACTIVE with its GSIs
 * // ... exercise DynamoDb* adapters against `table` ...
 * client.destroy();
 * await dynalite.stop();
 * ```
 * @packageDocumentation
 */
export { startDynalite, startFauxqs, type RunningEmulator, type RunningFauxqs } from './emulators.js';
export {
  createBucket,
  createTable,
  createTestDocumentClient,
  createTestDynamoDbClient,
  createTestS3Client,
  createTestSqsClient,
  uniqueResourceName,
  type TestClientOptions,
} from './aws-test-clients.js';
