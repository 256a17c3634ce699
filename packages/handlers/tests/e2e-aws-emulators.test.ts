import { DeleteItemCommand, GetItemCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DynamoDbCompactionLock,
  DynamoDbCompactionRunStore,
  DynamoDbOcrJobStore,
  DynamoDbReceiptStore,
  DynamoDbPlacesCache,
  DynamoDbSnapshotStore,
  type DynamoDbStreamRecord,
  type StreamAttributeValue,
} from '@receiptflow/adapters-aws/dynamodb';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { createQueueWithDlq, SqsQueue } from '@receiptflow/adapters-aws/sqs';
import {
  createTable,
  createTestDocumentClient,
  createTestDynamoDbClient,
  createTestS3Client,
  createTestSqsClient,
  startDynalite,
  uniqueResourceName,
  type RunningEmulator,
} from '@receiptflow/devkit/emulators';
import {
  CatalogPlacesResolver,
  HashingEmbedder,
  HnswVectorIndex,
  SystemClock,
  UuidIdGenerator,
} from '@receiptflow/adapters-local';
import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import {
  CachingPlacesResolver,
  CompactionMessageSchema,
  runOcrJob,
  type Embedder,
  type LeasedMessage,
  type Queue,
} from '@receiptflow/core';
import { startFakePlacesServer, type FakePlacesServer } from '@receiptflow/devkit/fake-servers';
import { startFauxqs } from 'fauxqs';
import { Container } from 'inversify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_ROUTES, routesOf } from '../../infra/src/api-routes.js';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/src/function-specs.js';
import {
  LAMBDA_SERVICE_SIDS,
  ocrWorkerStatements,
  policyStatements,
  WILDCARD_ONLY_ACTIONS,
  type PolicyArns,
  type PolicyOptions,
} from '../../infra/src/iam-policies.js';
import { changeRecordFromStreamRecord } from '@receiptflow/adapters-aws/dynamodb';
import {
  parseConfig,
  PipelineConfigSchema,
  ReceiptsChangeConfigSchema,
  ReceiptsExportConfigSchema,
  ReceiptsReadConfigSchema,
  StreamProcessorConfigSchema,
} from '../src/config/aws-config.js';
import { awsPipelineModule } from '../src/container/aws/pipeline-module.js';
import { awsReceiptsChangeModule } from '../src/container/aws/receipts-change-module.js';
import { awsReceiptsExportModule } from '../src/container/aws/receipts-export-module.js';
import { awsReceiptsReadModule } from '../src/container/aws/receipts-read-module.js';
import { loadVectorStorage } from '../src/container/aws/vector-storage.js';
import { API_ROUTE_KEYS } from '../src/handlers/api-route-keys.js';
import { awsStreamProcessorModule } from '../src/container/aws/stream-processor-module.js';
import { queueEventSources } from '../src/container/aws/event-sources.js';
import {
  compactionHandlerFrom,
  processOcrResultsHandlerFrom,
  exportRoutesFrom,
  pipelineHandlerFrom,
  pipelineRoutesFrom,
  receiptsChangeHandlerFrom,
  receiptsChangeRoutesFrom,
  receiptsExportHandlerFrom,
  receiptsReadHandlerFrom,
  receiptsReadRoutesFrom,
  streamProcessorFrom,
  uploadHandlerFrom,
  uploadRoutesFrom,
} from '../src/container/handler-factories.js';
import { toStreamItems } from '../src/handlers/dynamodb-stream-event.js';
import { isAllowed, unusedGrants } from './support/iam-evaluate.js';
import { ACCOUNT, bucketArn, iamRequests, queueArnFromUrl, REGION, tableArn } from './support/iam-requests.js';
import { SdkCallRecorder } from './support/sdk-call-recorder.js';
import { startAwsProxy, type AwsProxy } from './support/aws-proxy.js';
import { TOKENS } from '../src/container/tokens.js';
import type { SqsEvent, SqsRecord } from '../src/handlers/sqs-event.js';
import { ApiKeyAuth } from '../src/http/api-key-auth.js';
import { bodyOf, collectingLogger, httpEvent, specLines, TaggedOcr } from './support/fixtures.js';

// dynalite has no Streams API: the stream records are built here from the rows the handlers
// wrote, read raw (AttributeValue maps), which is what DynamoDB Streams would carry.
//
// Every SDK call a handler makes is recorded with the function it belongs to, and the last test
// checks those calls against the IAM policy infra gives each function (docs/adapters.md#iam-from-real-usage).

const KEY = 'rf_test_emulator_key';
const REDRIVE = { maxReceiveCount: 5, visibilityTimeoutSeconds: 30, retentionSeconds: 4 * 24 * 3600 };

let dynamo: RunningEmulator;
let fauxqs: RunningEmulator;
let ddb: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let s3: S3Client;
let sqs: SQSClient;
let tableName: string;

const recorder = new SdkCallRecorder();
/** The image the full pipeline run below took to `compacted`; the read API reads it. */
let compactedImage: { image_id: string; s3_key: string } | undefined;
/** vectorStorageMode s3: the key prefix of the index files in the vectors bucket (infra's VECTOR_INDEX_PREFIX). */
const VECTOR_PREFIX = 'index';
/** Set by a test to run once, outside any function, when the next receipt is embedded. */
let duringEmbedding: (() => Promise<unknown>) | undefined;
const env = {
  clock: new SystemClock(),
  logger: collectingLogger(),
  ocr: new TaggedOcr(),
  vectors: new HnswVectorIndex({ dimensions: 512 }),
};
/** Each work queue's DLQ, by the work queue's URL. */
const dlqUrlOf = new Map<string, string>();
let stores: {
  jobs: DynamoDbOcrJobStore;
  receipts: DynamoDbReceiptStore;
  runs: DynamoDbCompactionRunStore;
  raw: S3ImageStore;
  artifacts: S3ImageStore;
  deltas: S3ImageStore;
  ocrQueue: SqsQueue;
  resultsQueue: SqsQueue;
  compactionQueue: SqsQueue;
  snapshots: DynamoDbSnapshotStore;
};
/** A handler's invocation alone (the recorder wraps that, not the local runtime's `consume`). */
type Invocation<F> = F extends (...args: infer A) => infer R ? (...args: A) => R : never;
let handlers: {
  upload: Invocation<ReturnType<typeof uploadHandlerFrom>>;
  results: Invocation<ReturnType<typeof processOcrResultsHandlerFrom>>;
  compaction: Invocation<ReturnType<typeof compactionHandlerFrom>>;
  /** The real stream-processor Lambda entry module, configured through its environment. */
  stream: (event: { Records: DynamoDbStreamRecord[] }) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
};

beforeAll(async () => {
  // fauxqs started without `host` names queues after the request's Host (http://127.0.0.1:PORT/…);
  // with a host it answers http://sqs.<region>.127.0.0.1:PORT/…, which is no valid WHATWG URL (a
  // host ending in a number must be IPv4), so the Lambda's config would refuse it.
  const sqsServer = await startFauxqs({ port: 0, logger: false });
  fauxqs = { endpoint: `http://127.0.0.1:${sqsServer.port}`, stop: () => sqsServer.stop() };
  dynamo = await startDynalite();
  ddb = recorder.attach(createTestDynamoDbClient(dynamo.endpoint));
  doc = createTestDocumentClient(ddb);
  s3 = recorder.attach(createTestS3Client(fauxqs.endpoint));
  sqs = recorder.attach(createTestSqsClient(fauxqs.endpoint));
  tableName = uniqueResourceName('jobs');
  await createTable(ddb, tableName);
  const bucket = async (prefix: string) => {
    const name = uniqueResourceName(prefix);
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    return new S3ImageStore(s3, { bucket: name });
  };
  const queue = async (name: string) => {
    const { queueUrl, dlqUrl } = await createQueueWithDlq(sqs, uniqueResourceName(name), REDRIVE);
    dlqUrlOf.set(queueUrl, dlqUrl);
    return new SqsQueue(sqs, { queueUrl });
  };
  stores = {
    jobs: new DynamoDbOcrJobStore(doc, { tableName, clock: env.clock }),
    receipts: new DynamoDbReceiptStore(doc, { tableName, clock: env.clock }),
    runs: new DynamoDbCompactionRunStore(doc, { tableName, clock: env.clock }),
    raw: await bucket('raw'),
    artifacts: await bucket('artifacts'),
    deltas: await bucket('vectors'),
    ocrQueue: await queue('ocr-queue'),
    resultsQueue: await queue('ocr-results-queue'),
    compactionQueue: await queue('compaction-queue'),
    snapshots: new DynamoDbSnapshotStore(doc, { tableName, clock: env.clock }),
  };

  const container = new Container();
  container.bind(TOKENS.Logger).toConstantValue(env.logger);
  container.bind(TOKENS.Clock).toConstantValue(env.clock);
  container.bind(TOKENS.Ids).toConstantValue(new UuidIdGenerator());
  container.bind(TOKENS.OcrJobs).toConstantValue(stores.jobs);
  container.bind(TOKENS.Receipts).toConstantValue(stores.receipts);
  container.bind(TOKENS.CompactionRuns).toConstantValue(stores.runs);
  container.bind(TOKENS.RawImages).toConstantValue(stores.raw);
  container.bind(TOKENS.Artifacts).toConstantValue(stores.artifacts);
  container.bind(TOKENS.Deltas).toConstantValue(stores.deltas);
  container.bind(TOKENS.OcrQueue).toConstantValue(stores.ocrQueue);
  container.bind(TOKENS.OcrOutputBucket).toConstantValue(stores.artifacts.bucket);
  container.bind(TOKENS.ResultsQueue).toConstantValue(stores.resultsQueue);
  container.bind(TOKENS.CompactionQueue).toConstantValue(stores.compactionQueue);
  container.bind(TOKENS.VectorIndex).toConstantValue(env.vectors);
  const hashing = new HashingEmbedder({ dimensions: 512 });
  const embedder: Embedder = {
    model: hashing.model,
    dimensions: hashing.dimensions,
    async embed(texts) {
      const during = duringEmbedding;
      duringEmbedding = undefined;
      if (during) await recorder.outside(during);
      return hashing.embed(texts);
    },
  };
  container.bind(TOKENS.Embedder).toConstantValue(embedder);
  container
    .bind(TOKENS.Places)
    .toConstantValue(
      new CachingPlacesResolver(
        new CatalogPlacesResolver(syntheticCatalog()),
        new DynamoDbPlacesCache(doc, { tableName, clock: env.clock }),
        env.clock,
      ),
    );
  container
    .bind(TOKENS.CompactionLock)
    .toConstantValue(new DynamoDbCompactionLock(doc, { tableName, clock: env.clock }));
  container.bind(TOKENS.Snapshots).toConstantValue(stores.snapshots);
  // The consumers settle their records on the queue each record's eventSourceARN names, with an
  // SQS client of their own (recorded). fauxqs names queues its own way, so the URL of each is
  // the one it was created with, found by the ARN's queue name.
  const workQueues = [stores.ocrQueue, stores.resultsQueue, stores.compactionQueue];
  container
    .bind(TOKENS.EventSources)
    .toConstantValue(
      queueEventSources(
        { region: REGION, endpoint: fauxqs.endpoint, instrument: (client) => recorder.attach(client) },
        { queueUrlOf: (arn) => workQueues.find((q) => q.name === arn.name)!.queueUrl },
      ),
    );

  vi.stubEnv('TABLE_NAME', tableName);
  vi.stubEnv('COMPACTION_QUEUE_URL', stores.compactionQueue.queueUrl);
  vi.stubEnv('AWS_ENDPOINT_URL', fauxqs.endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
  vi.stubEnv('LOG_LEVEL', 'error');
  // The stream processor as its Lambda entry builds it (config from the environment, its own
  // SQS client), with the recorder on that client.
  const streamContainer = new Container();
  streamContainer.load(
    awsStreamProcessorModule(parseConfig(StreamProcessorConfigSchema, process.env, 'stream-processor'), {
      instrument: (client) => recorder.attach(client),
    }),
  );
  const processStream = streamProcessorFrom(streamContainer);
  handlers = {
    upload: recorder.for('upload', uploadHandlerFrom(container, new ApiKeyAuth([ApiKeyAuth.hash(KEY)]))),
    results: recorder.for('process-ocr-results', processOcrResultsHandlerFrom(container)),
    compaction: recorder.for('compaction', compactionHandlerFrom(container, { leaseMs: 60_000 })),
    stream: recorder.for('stream-processor', (event) =>
      processStream(toStreamItems(event.Records, changeRecordFromStreamRecord)),
    ),
  };
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  for (const client of [ddb, s3, sqs]) client?.destroy();
  await Promise.all([dynamo?.stop(), fauxqs?.stop()]);
});

type RawItem = Record<string, StreamAttributeValue>;

/** Every row of the table, as AttributeValue maps keyed by `PK|SK`. */
async function scanTable(): Promise<Map<string, RawItem>> {
  const rows = new Map<string, RawItem>();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    for (const item of out.Items ?? []) rows.set(`${item.PK?.S}|${item.SK?.S}`, item as RawItem);
    start = out.LastEvaluatedKey;
  } while (start);
  return rows;
}

async function rawRow(pk: string, sk: string): Promise<RawItem> {
  const out = await ddb.send(
    new GetItemCommand({ TableName: tableName, Key: { PK: { S: pk }, SK: { S: sk } }, ConsistentRead: true }),
  );
  return out.Item as RawItem;
}

let sequence = 100;
function streamRecord(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  images: { old?: RawItem; new?: RawItem },
): DynamoDbStreamRecord & { eventID: string } {
  const seq = String(++sequence).padStart(21, '0');
  return {
    eventID: `e${seq}`,
    eventName,
    dynamodb: {
      ...(images.old ? { OldImage: images.old } : {}),
      ...(images.new ? { NewImage: images.new } : {}),
      SequenceNumber: seq,
    },
  };
}

/** Receives until `count` messages arrived (SQS may return fewer than are there). */
async function receiveAll(queue: Queue, count: number): Promise<LeasedMessage[]> {
  const out: LeasedMessage[] = [];
  for (let i = 0; i < 20 && out.length < count; i++)
    out.push(...(await queue.receive({ maxMessages: 10, waitSeconds: 1 })));
  return out;
}

/** A queue's ARN as fauxqs reports it: what the event source mapping puts on each record. */
async function arnOf(queue: SqsQueue): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['QueueArn'] }));
  return out.Attributes!.QueueArn!;
}

const asSqsEvent = async (messages: LeasedMessage[], queue: SqsQueue): Promise<SqsEvent> => {
  const eventSourceARN = await arnOf(queue);
  return {
    Records: messages.map((m) => ({
      messageId: m.id,
      body: m.body,
      attributes: { ApproximateReceiveCount: String(m.receiveCount) },
      eventSourceARN,
    })),
  };
};

/**
 * What the event source mapping delivers: received with their receipt handles (by the test,
 * outside any function), as Lambda records of the queue's ARN.
 */
async function mappingDelivers(queue: SqsQueue, count: number): Promise<SqsEvent> {
  const records: SqsRecord[] = [];
  const eventSourceARN = await arnOf(queue);
  for (let i = 0; i < 20 && records.length < count; i++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    for (const m of out.Messages ?? [])
      records.push({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: { ApproximateReceiveCount: m.Attributes!.ApproximateReceiveCount! },
        eventSourceARN,
      });
  }
  expect(records).toHaveLength(count);
  return { Records: records };
}

/** What the event source mapping does with a partial batch response: ack every message not listed. */
async function settle(messages: LeasedMessage[], failures: { itemIdentifier: string }[]) {
  const failed = new Set(failures.map((f) => f.itemIdentifier));
  for (const m of messages.filter((m) => !failed.has(m.id))) await m.ack();
}

async function rawObjectCount(bucket = stores.raw.bucket): Promise<number> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return out.KeyCount ?? 0;
}

/** The OCR worker's step on one ocr-queue message (core runOcrJob, fake engine), attributed to the worker. */
const ocrStep = (body: string) =>
  recorder.as('ocr-worker', () =>
    runOcrJob(
      {
        jobs: stores.jobs,
        images: stores.raw,
        artifacts: stores.artifacts,
        ocr: env.ocr,
        resultsQueue: stores.resultsQueue,
        clock: env.clock,
      },
      body,
    ),
  );

/** Upload → OCR worker step (attributed to the worker): the image's results message, still leased. */
async function uploadAndOcr(name: string, lines: string[]) {
  const uploaded = await handlers.upload(
    httpEvent({ headers: { 'content-type': 'image/png' }, body: env.ocr.register(name, lines), bearer: KEY }),
  );
  expect(uploaded.statusCode).toBe(201);
  const { image_id, job_id } = bodyOf<{ image_id: string; job_id: string }>(uploaded);
  const [ocrMessage] = await receiveAll(stores.ocrQueue, 1);
  expect((await ocrStep(ocrMessage!.body)).status).toBe('completed');
  await ocrMessage!.ack();
  return { image_id, job_id, resultsMessages: await receiveAll(stores.resultsQueue, 1) };
}

describe('the pipeline on the AWS adapters (fauxqs + dynalite)', () => {
  it('refuses an unauthenticated upload without writing to the table, the bucket or the queue', async () => {
    const rowsBefore = (await scanTable()).size;
    const res = await handlers.upload(
      httpEvent({ headers: { 'content-type': 'image/png' }, body: env.ocr.register('anon', ['X']), bearer: 'wrong' }),
    );
    expect(res.statusCode).toBe(401);
    expect((await scanTable()).size).toBe(rowsBefore);
    expect(await rawObjectCount()).toBe(0);
    expect(await stores.ocrQueue.depth()).toEqual({ visible: 0, inFlight: 0 });
  });

  it(
    'upload → OCR → results → stream → compaction: the run is COMPLETED and the vectors are in',
    { timeout: 60_000 },
    async () => {
      const receipt = demoReceipts()[0]!;
      const bytes = env.ocr.register('aws-1', specLines(receipt.spec));

      // 1. Upload API (direct upload).
      const uploaded = await handlers.upload(
        httpEvent({
          headers: { 'content-type': 'image/png' },
          query: { filename: 'receipt.png' },
          body: bytes,
          bearer: KEY,
        }),
      );
      expect(uploaded.statusCode).toBe(201);
      const { image_id, job_id, s3_key } = bodyOf<{ image_id: string; job_id: string; s3_key: string }>(uploaded);
      compactedImage = { image_id, s3_key };
      expect((await stores.raw.head(s3_key))?.metadata).toMatchObject({
        image_id,
        job_id,
        size_bytes: String(bytes.length),
      });

      // 2. OCR worker step (core runOcrJob, fake engine).
      const [ocrMessage] = await receiveAll(stores.ocrQueue, 1);
      expect(JSON.parse(ocrMessage!.body)).toEqual({
        job_id,
        image_id,
        s3_bucket: stores.raw.bucket,
        s3_key,
        ocr_s3_bucket: stores.artifacts.bucket,
      });
      const ocr = await ocrStep(ocrMessage!.body);
      expect(ocr.status).toBe('completed');
      await ocrMessage!.ack();

      // 3. process-OCR-results handler, then a redelivery of the same message (idempotent).
      const resultsMessages = await receiveAll(stores.resultsQueue, 1);
      expect(await handlers.results(await asSqsEvent(resultsMessages, stores.resultsQueue))).toEqual({
        batchItemFailures: [],
      });
      const rowsAfterResults = await scanTable();
      expect(await handlers.results(await asSqsEvent(resultsMessages, stores.resultsQueue))).toEqual({
        batchItemFailures: [],
      });
      expect([...(await scanTable()).keys()].sort()).toEqual([...rowsAfterResults.keys()].sort());
      await settle(resultsMessages, []);
      const place = await stores.receipts.getPlace(image_id, 1);
      expect(place).toMatchObject({ place_id: receipt.truth.place_id, source: 'places' });

      // 4. Stream processor (the Lambda entry), fed an INSERT for every row written.
      const inserts = [...rowsAfterResults.values()].map((item) => streamRecord('INSERT', { new: item }));
      expect(await handlers.stream({ Records: inserts })).toEqual({ batchItemFailures: [] });

      // 5. Compaction handler.
      const compactionMessages = await receiveAll(stores.compactionQueue, 2);
      const merges = compactionMessages.map((m) => CompactionMessageSchema.parse(JSON.parse(m.body)));
      expect(merges.map((m) => `${m.kind}:${m.collection}`).sort()).toEqual(['merge:lines', 'merge:words']);
      const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 };
      const compacted = await handlers.compaction(
        await asSqsEvent(compactionMessages, stores.compactionQueue),
        context,
      );
      expect(compacted).toEqual({ batchItemFailures: [] });
      await settle(compactionMessages, compacted.batchItemFailures);

      const [run] = await stores.runs.list(image_id, 1);
      expect(run?.lines).toMatchObject({ state: 'COMPLETED', merged_count: run?.lines.vector_count });
      expect(run?.words).toMatchObject({ state: 'COMPLETED', merged_count: run?.words.vector_count });
      expect(await env.vectors.count('lines')).toBe(run!.lines.vector_count);
      expect(await env.vectors.count('words')).toBe(run!.words.vector_count);
      expect(await stores.snapshots.current('lines')).toMatchObject({
        version: 1,
        run_ids: [run!.run_id],
        vector_count: run!.lines.vector_count,
      });
      expect(await stores.runs.listUnfinished(new Date(Date.now() + 60_000).toISOString())).toEqual([]);

      const status = await handlers.upload(
        httpEvent({ method: 'GET', path: '/upload-status', query: { image_id }, bearer: KEY }),
      );
      expect(bodyOf(status)).toMatchObject({
        stage: 'compacted',
        receipts: [{ place_id: receipt.truth.place_id, compacted: true }],
      });

      // 6. The run's own MODIFYs (PENDING → PROCESSING → COMPLETED) produce no work (docs/lessons.md#lesson-16-stream-events-that-should-do-nothing-did-a-lot).
      const runKey = [...rowsAfterResults.keys()].find((k) => k.includes('#COMPACTION_RUN#'))!;
      const [pk, sk] = runKey.split('|') as [string, string];
      const runModify = streamRecord('MODIFY', { old: rowsAfterResults.get(runKey)!, new: await rawRow(pk, sk) });
      expect(await handlers.stream({ Records: [runModify] })).toEqual({ batchItemFailures: [] });
      expect(await stores.compactionQueue.receive({ maxMessages: 10, waitSeconds: 1 })).toEqual([]);

      // 7. A merchant correction: the place MODIFY re-labels the receipt's vectors.
      const placeKey = `IMAGE#${image_id}|RECEIPT#00001#PLACE`;
      const corrected = { ...place!, merchant_name: 'Corrected Merchant', place_id: 'ChIJ-corrected' };
      await stores.receipts.putPlace(corrected);
      const placeModify = streamRecord('MODIFY', {
        old: rowsAfterResults.get(placeKey)!,
        new: await rawRow(`IMAGE#${image_id}`, 'RECEIPT#00001#PLACE'),
      });
      expect(await handlers.stream({ Records: [placeModify] })).toEqual({ batchItemFailures: [] });
      const updates = await receiveAll(stores.compactionQueue, 2);
      expect(updates.map((m) => (JSON.parse(m.body) as { kind: string }).kind)).toEqual([
        'update_metadata',
        'update_metadata',
      ]);
      const relabelled = await handlers.compaction(await asSqsEvent(updates, stores.compactionQueue), {
        awsRequestId: 'req-2',
        getRemainingTimeInMillis: () => 60_000,
      });
      expect(relabelled).toEqual({ batchItemFailures: [] });
      await settle(updates, relabelled.batchItemFailures);
      const ids = await env.vectors.findIds('lines', { image_id, receipt_id: 1 });
      expect(ids).toHaveLength(run!.lines.vector_count);
      const [first] = await env.vectors.get('lines', ids.slice(0, 1));
      expect(first?.metadata).toMatchObject({ merchant_name: 'Corrected Merchant', place_id: 'ChIJ-corrected' });
    },
  );

  it('an image deleted while its results are processed leaves no receipt rows and no vector deltas', async () => {
    const { image_id, resultsMessages } = await uploadAndOcr('aws-deleted', ['GONE CAFE', 'TOTAL 1.00']);
    const deltasBefore = await rawObjectCount(stores.deltas.bucket);
    // The deletion lands after the first "still wanted?" check, while the receipt is embedded.
    duringEmbedding = () =>
      ddb.send(
        new DeleteItemCommand({ TableName: tableName, Key: { PK: { S: `IMAGE#${image_id}` }, SK: { S: 'IMAGE' } } }),
      );

    expect(await handlers.results(await asSqsEvent(resultsMessages, stores.resultsQueue))).toEqual({
      batchItemFailures: [],
    });
    await settle(resultsMessages, []);

    expect(duringEmbedding).toBeUndefined();
    expect([...(await scanTable()).keys()].filter((k) => k.startsWith(`IMAGE#${image_id}|RECEIPT#`))).toEqual([]);
    expect(await rawObjectCount(stores.deltas.bucket)).toBe(deltasBefore);
  });

  it(
    'a record that fails is put back soon on the queue its eventSourceARN names, not after the visibility timeout',
    { timeout: 60_000 },
    async () => {
      // process-OCR-results: a poison record (not JSON) fails, and asks for a 1 s visibility.
      await sqs.send(new SendMessageCommand({ QueueUrl: stores.resultsQueue.queueUrl, MessageBody: '{"job_id": ' }));
      const poison = await mappingDelivers(stores.resultsQueue, 1);
      const failed = await handlers.results(poison);
      expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: poison.Records[0]!.messageId }] });
      // Back well before the queue's 30 s: only the visibility change can do that.
      const again = await mappingDelivers(stores.resultsQueue, 1);
      expect(again.Records[0]).toMatchObject({ body: '{"job_id": ', attributes: { ApproximateReceiveCount: '2' } });
      await sqs.send(
        new DeleteMessageCommand({
          QueueUrl: stores.resultsQueue.queueUrl,
          ReceiptHandle: again.Records[0]!.receiptHandle,
        }),
      );

      // compaction: another compactor holds the lines lock, so a lines merge meets LOCK_BUSY.
      const lock = new DynamoDbCompactionLock(doc, { tableName, clock: env.clock });
      const held = await lock.acquire('compaction:lines', 'another-compactor', 60_000);
      expect(held).not.toBeNull();
      const body = JSON.stringify({ kind: 'delete_receipt', collection: 'lines', image_id: 'img-busy', receipt_id: 1 });
      await sqs.send(new SendMessageCommand({ QueueUrl: stores.compactionQueue.queueUrl, MessageBody: body }));
      const busy = await mappingDelivers(stores.compactionQueue, 1);
      const response = await handlers.compaction(busy, {
        awsRequestId: 'req-busy',
        getRemainingTimeInMillis: () => 60_000,
      });
      await lock.release(held!);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: busy.Records[0]!.messageId }] });
      expect(env.logger.entries.find((e) => e.message === 'compaction message failed')?.fields).toMatchObject({
        code: 'LOCK_BUSY',
      });
      // Its delay is 5–10 s: it is invisible now, and not gone.
      expect(await stores.compactionQueue.depth()).toEqual({ visible: 0, inFlight: 1 });
      const calls = recorder.calls.filter((c) => c.command === 'ChangeMessageVisibilityCommand');
      expect(calls.map((c) => [c.fn, c.input.QueueUrl])).toEqual([
        ['process-ocr-results', stores.resultsQueue.queueUrl],
        ['compaction', stores.compactionQueue.queueUrl],
      ]);
    },
  );

  it('a presigned upload: bad bytes are deleted and answered 422, good bytes start OCR once', async () => {
    const json = { 'content-type': 'application/json' };
    const presigned = await handlers.upload(
      httpEvent({ headers: json, body: JSON.stringify({ filename: 'r.png', content_type: 'image/png' }), bearer: KEY }),
    );
    expect(presigned.statusCode).toBe(201);
    const { image_id, s3_key } = bodyOf<{ image_id: string; s3_key: string }>(presigned);
    const complete = () =>
      handlers.upload(
        httpEvent({ path: '/upload-complete', headers: json, body: JSON.stringify({ image_id }), bearer: KEY }),
      );
    // The client's own upload to the presigned POST: not a call of the function.
    const land = (body: Uint8Array) =>
      s3.send(new PutObjectCommand({ Bucket: stores.raw.bucket, Key: s3_key, Body: body, ContentType: 'image/png' }));

    await land(new TextEncoder().encode('not an image'));
    expect((await complete()).statusCode).toBe(422);
    expect(await stores.raw.head(s3_key)).toBeNull();

    await land(env.ocr.register('aws-presigned', ['PRESIGNED CAFE']));
    const completed = await complete();
    expect(completed.statusCode).toBe(200);
    expect(bodyOf(completed)).toMatchObject({ image_id, enqueued: true });
    const [ocrMessage] = await receiveAll(stores.ocrQueue, 1);
    expect(JSON.parse(ocrMessage!.body)).toMatchObject({ image_id, s3_key });
    await ocrMessage!.ack();
  });
});

/** Routes of the API (API_ROUTE_KEYS) that infra does not deploy yet, each with why: none, every route is deployed. */
const NOT_DEPLOYED_ROUTES: Record<string, string> = {};

/** The operators' key (owner `ops`, OPERATOR_OWNERS of the pipeline function); KEY's owner is not one. */
const OPS_KEY = 'rf_test_operator_key';

describe('the receipt API functions, each built from its own container module', () => {
  type Api = (event: ReturnType<typeof httpEvent>) => Promise<{ statusCode: number; body: string; headers?: unknown }>;
  let read: Api;
  let change: Api;
  let exporter: Api;
  let pipeline: Api;
  let readContainer: Container;
  let changeContainer: Container;
  let exportContainer: Container;
  let pipelineContainer: Container;
  let proxy: AwsProxy;
  let places: FakePlacesServer;

  beforeAll(async () => {
    places = await startFakePlacesServer({ catalog: syntheticCatalog(), apiKey: 'places-key' });
    // One endpoint for DynamoDB and S3, as in a region: dynalite and fauxqs behind a proxy.
    proxy = await startAwsProxy(dynamo.endpoint, fauxqs.endpoint);
    // As its Lambda entry builds it: config parsed from its environment (s3 vector storage, the
    // mode whose index reads are AWS calls), its own clients, the recorder on each of them.
    const config = parseConfig(
      ReceiptsReadConfigSchema,
      {
        ...process.env,
        AWS_ENDPOINT_URL: proxy.endpoint,
        RAW_BUCKET: stores.raw.bucket,
        API_KEY_SHA256: ApiKeyAuth.hash(KEY),
        VECTOR_STORAGE_MODE: 's3',
        VECTOR_BUCKET: stores.deltas.bucket,
        VECTOR_PREFIX,
      },
      'receipts-read',
    );
    readContainer = new Container();
    readContainer.load(
      awsReceiptsReadModule(config, await loadVectorStorage(config.VECTOR_STORAGE_MODE), {
        instrument: (client) => recorder.attach(client),
      }),
    );
    read = recorder.for('receipts-read', receiptsReadHandlerFrom(readContainer, new ApiKeyAuth(config.API_KEY_SHA256)));
    const changeConfig = parseConfig(
      ReceiptsChangeConfigSchema,
      {
        ...process.env,
        AWS_ENDPOINT_URL: proxy.endpoint,
        RAW_BUCKET: stores.raw.bucket,
        ARTIFACTS_BUCKET: stores.artifacts.bucket,
        API_KEY_SHA256: ApiKeyAuth.hash(KEY),
        GOOGLE_PLACES_API_KEY: 'places-key',
        GOOGLE_PLACES_BASE_URL: places.url,
      },
      'receipts-change',
    );
    changeContainer = new Container();
    changeContainer.load(awsReceiptsChangeModule(changeConfig, { instrument: (client) => recorder.attach(client) }));
    change = recorder.for(
      'receipts-change',
      receiptsChangeHandlerFrom(changeContainer, new ApiKeyAuth(changeConfig.API_KEY_SHA256)),
    );
    // As infra deploys it: the exports go to the artifacts bucket (under exports/ only).
    const exportConfig = parseConfig(
      ReceiptsExportConfigSchema,
      {
        ...process.env,
        AWS_ENDPOINT_URL: proxy.endpoint,
        EXPORT_BUCKET: stores.artifacts.bucket,
        API_KEY_SHA256: ApiKeyAuth.hash(KEY),
      },
      'receipts-export',
    );
    exportContainer = new Container();
    exportContainer.load(awsReceiptsExportModule(exportConfig, { instrument: (client) => recorder.attach(client) }));
    exporter = recorder.for(
      'receipts-export',
      receiptsExportHandlerFrom(exportContainer, new ApiKeyAuth(exportConfig.API_KEY_SHA256)),
    );
    // As infra deploys it: the three work queues and their DLQs, and the operators named.
    const workQueues = {
      OCR_JOB: stores.ocrQueue,
      OCR_RESULTS: stores.resultsQueue,
      COMPACTION: stores.compactionQueue,
    };
    const pipelineConfig = parseConfig(
      PipelineConfigSchema,
      {
        ...process.env,
        AWS_ENDPOINT_URL: proxy.endpoint,
        API_KEY_SHA256: `${ApiKeyAuth.hash(KEY)},ops:${ApiKeyAuth.hash(OPS_KEY)}`,
        OPERATOR_OWNERS: 'ops',
        OCR_JOB_QUEUE_URL: workQueues.OCR_JOB.queueUrl,
        OCR_RESULTS_QUEUE_URL: workQueues.OCR_RESULTS.queueUrl,
        COMPACTION_QUEUE_URL: workQueues.COMPACTION.queueUrl,
        OCR_DLQ_URL: dlqUrlOf.get(workQueues.OCR_JOB.queueUrl),
        OCR_RESULTS_DLQ_URL: dlqUrlOf.get(workQueues.OCR_RESULTS.queueUrl),
        COMPACTION_DLQ_URL: dlqUrlOf.get(workQueues.COMPACTION.queueUrl),
      },
      'pipeline',
    );
    pipelineContainer = new Container();
    pipelineContainer.load(awsPipelineModule(pipelineConfig, { instrument: (client) => recorder.attach(client) }));
    pipeline = recorder.for(
      'pipeline',
      pipelineHandlerFrom(pipelineContainer, new ApiKeyAuth(pipelineConfig.API_KEY_SHA256)),
    );
  });
  afterAll(async () => {
    await places?.close();
    await proxy?.close();
  });

  it("each function's router serves exactly the routes infra sends to it", () => {
    const keys = (routes: { key: string }[]) => routes.map((r) => r.key).sort();
    // Every route the API serves is deployed, but the ones listed (each with why), and nothing else.
    const deployed = API_ROUTE_KEYS.filter((k) => !(k in NOT_DEPLOYED_ROUTES));
    expect(Object.keys(API_ROUTES).sort()).toEqual([...deployed].sort());
    expect(keys(receiptsReadRoutesFrom(readContainer))).toEqual([...routesOf('receipts-read')].sort());
    expect(keys(receiptsChangeRoutesFrom(changeContainer))).toEqual([...routesOf('receipts-change')].sort());
    expect(keys(pipelineRoutesFrom(pipelineContainer))).toEqual([...routesOf('pipeline')].sort());
    expect(keys(exportRoutesFrom(exportContainer))).toEqual([...routesOf('receipts-export')].sort());
    const uploadContainer = new Container();
    for (const t of [TOKENS.Logger, TOKENS.Clock, TOKENS.Ids, TOKENS.OcrJobs, TOKENS.Receipts, TOKENS.CompactionRuns])
      uploadContainer.bind(t).toConstantValue({} as never);
    for (const t of [TOKENS.RawImages, TOKENS.OcrQueue, TOKENS.OcrOutputBucket])
      uploadContainer.bind(t).toConstantValue({} as never);
    expect(keys(uploadRoutesFrom(uploadContainer))).toEqual([...routesOf('upload')].sort());
  });

  it('receipts-read: a receipt with its signed image URL, the image redirect, its similar receipts', async () => {
    const { image_id, s3_key } = compactedImage!;
    const view = await read(httpEvent({ method: 'GET', path: `/receipts/${image_id}/1`, bearer: KEY }));
    expect(view.statusCode, view.body).toBe(200);
    const body = bodyOf<{ receipt: { image_id: string }; lines: unknown[]; stage: string; image_url: string }>(view);
    expect(body).toMatchObject({ receipt: { image_id }, stage: 'compacted' });
    expect(body.lines.length).toBeGreaterThan(0);
    expect(new URL(body.image_url).pathname).toBe(`/${stores.raw.bucket}/${s3_key}`);

    const image = await read(httpEvent({ method: 'GET', path: `/images/${image_id}`, bearer: KEY }));
    expect(image.statusCode).toBe(302);

    // The index files in the bucket are empty here (compaction above used an in-process index):
    // the follower reads them and finds no neighbours; what counts is which calls it makes.
    const similar = await read(httpEvent({ method: 'GET', path: `/receipts/${image_id}/1/similar`, bearer: KEY }));
    expect(similar.statusCode, similar.body).toBe(200);
    expect(bodyOf(similar)).toEqual({ similar: [] });

    expect((await read(httpEvent({ method: 'GET', path: `/receipts/${image_id}/9`, bearer: KEY }))).statusCode).toBe(
      404,
    );

    // The listing and the merchants: the catalog's GSIs (eventually consistent on AWS; dynalite is not).
    const listed = await read(httpEvent({ method: 'GET', path: '/receipts', query: { limit: '10' }, bearer: KEY }));
    expect(listed.statusCode, listed.body).toBe(200);
    expect(bodyOf<{ receipts: { image_id: string }[] }>(listed).receipts.map((r) => r.image_id)).toContain(image_id);
    const merchant = bodyOf<{ merchant: { place_id: string } }>(view).merchant.place_id;
    const byMerchant = await read(httpEvent({ method: 'GET', path: '/receipts', query: { merchant }, bearer: KEY }));
    expect(bodyOf<{ receipts: { image_id: string }[] }>(byMerchant).receipts.map((r) => r.image_id)).toEqual([
      image_id,
    ]);
    const merchants = await read(httpEvent({ method: 'GET', path: '/merchants', bearer: KEY }));
    expect(bodyOf<{ merchants: { place_id: string }[] }>(merchants).merchants.map((m) => m.place_id)).toContain(
      merchant,
    );
  });

  // Before receipts-change deletes the receipt (and its job, which the dead letter below names).
  it("pipeline: 403 to a key not an operator's; the status, a DLQ listed in place, one message redriven", async () => {
    const forbidden = await pipeline(httpEvent({ method: 'GET', path: '/pipeline', bearer: KEY }));
    expect(forbidden.statusCode).toBe(403);
    expect(bodyOf<{ error: { code: string } }>(forbidden).error.code).toBe('FORBIDDEN');

    const status = await pipeline(httpEvent({ method: 'GET', path: '/pipeline', bearer: OPS_KEY }));
    expect(status.statusCode, status.body).toBe(200);
    const body = bodyOf<{
      jobs: { by_status: Record<string, number>; capped: string[] };
      queues: { name: string; dlq_depth: number }[];
    }>(status);
    expect(body.jobs.by_status.COMPLETED).toBeGreaterThan(0);
    expect(body.jobs.capped).toEqual([]);
    expect(body.queues.map((q) => q.name)).toEqual(['ocr', 'ocr-results', 'compaction']);

    // A dead OCR message naming the compacted image's job: the listing explains it from that job.
    const { image_id, s3_key } = compactedImage!;
    const [job] = await stores.jobs.listJobsForImage(image_id);
    const ocrDlqUrl = dlqUrlOf.get(stores.ocrQueue.queueUrl)!;
    const dead = JSON.stringify({
      job_id: job!.job_id,
      image_id,
      s3_bucket: stores.raw.bucket,
      s3_key,
      ocr_s3_bucket: stores.artifacts.bucket,
    });
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: ocrDlqUrl, MessageBody: dead }));
    const withDead = bodyOf<{ queues: { name: string; dlq_depth: number }[] }>(
      await pipeline(httpEvent({ method: 'GET', path: '/pipeline', bearer: OPS_KEY })),
    );
    expect(withDead.queues.find((q) => q.name === 'ocr')?.dlq_depth).toBe(1);

    const listed = await pipeline(httpEvent({ method: 'GET', path: '/pipeline/dlq/ocr', bearer: OPS_KEY }));
    expect(listed.statusCode, listed.body).toBe(200);
    const messages = bodyOf<{ messages: { message_id: string; error: string; body_preview: string }[] }>(
      listed,
    ).messages;
    expect(messages.map((m) => m.message_id)).toEqual([MessageId]);
    expect(messages[0]!.error).toContain(job!.job_id);
    // Listed, not taken: it is visible again at once.
    expect(await stores.ocrQueue.depth()).toEqual({ visible: 0, inFlight: 0 });
    const again = await pipeline(httpEvent({ method: 'GET', path: '/pipeline/dlq/ocr', bearer: OPS_KEY }));
    expect(bodyOf<{ messages: unknown[] }>(again).messages).toHaveLength(1);

    expect((await pipeline(httpEvent({ method: 'GET', path: '/pipeline/dlq/nope', bearer: OPS_KEY }))).statusCode).toBe(
      404,
    );

    const redriven = await pipeline(
      httpEvent({
        method: 'POST',
        path: '/pipeline/dlq/ocr/redrive',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message_id: MessageId }),
        bearer: OPS_KEY,
      }),
    );
    expect(redriven.statusCode, redriven.body).toBe(200);
    expect(bodyOf(redriven)).toEqual({ redriven: 1 });
    // Back on ocr-queue (taken off it here, outside any function), and gone from the DLQ.
    const [back] = await receiveAll(stores.ocrQueue, 1);
    expect(back!.body).toBe(dead);
    await back!.ack();
    const after = await pipeline(httpEvent({ method: 'GET', path: '/pipeline/dlq/ocr', bearer: OPS_KEY }));
    expect(bodyOf<{ messages: unknown[] }>(after).messages).toEqual([]);

    // The other two DLQs: a poison message each, listed with why, then all of it redriven (`{}`).
    const others = [
      ['ocr-results', stores.resultsQueue],
      ['compaction', stores.compactionQueue],
    ] as const;
    for (const [name, queue] of others) {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrlOf.get(queue.queueUrl)!, MessageBody: 'not json' }));
      const letters = await pipeline(httpEvent({ method: 'GET', path: `/pipeline/dlq/${name}`, bearer: OPS_KEY }));
      const [letter] = bodyOf<{ messages: { error: string; body_preview: string }[] }>(letters).messages;
      expect(letter).toMatchObject({ body_preview: 'not json' });
      expect(letter!.error).toContain('is not JSON');
      const all = await pipeline(
        httpEvent({
          method: 'POST',
          path: `/pipeline/dlq/${name}/redrive`,
          headers: { 'content-type': 'application/json' },
          body: '{}',
          bearer: OPS_KEY,
        }),
      );
      expect(bodyOf(all)).toEqual({ redriven: 1 });
      const [poison] = await receiveAll(queue, 1);
      expect(poison!.body).toBe('not json');
      await poison!.ack();
    }
  });

  it("receipts-change: GET /places answers the owner's merchant first, then Places; Places down is flagged, not an error", async () => {
    const { image_id } = compactedImage!;
    const view = bodyOf<{ merchant: { place_id: string; merchant_name: string } }>(
      await read(httpEvent({ method: 'GET', path: `/receipts/${image_id}/1`, bearer: KEY })),
    );
    const name = view.merchant.merchant_name;
    const search = await change(httpEvent({ method: 'GET', path: '/places', query: { query: name }, bearer: KEY }));
    expect(search.statusCode, search.body).toBe(200);
    const found = bodyOf<{ places: { place_id: string; receipt_count: number | null }[]; places_unavailable: boolean }>(
      search,
    );
    expect(found.places_unavailable).toBe(false);
    expect(found.places[0]).toMatchObject({ place_id: view.merchant.place_id });
    expect(found.places[0]!.receipt_count).toBeGreaterThan(0);
    expect(places.requestCount).toBeGreaterThan(0);

    places.setDown(true);
    try {
      const down = await change(
        httpEvent({ method: 'GET', path: '/places', query: { query: 'no cached answer for this' }, bearer: KEY }),
      );
      expect(down.statusCode, down.body).toBe(200);
      expect(bodyOf<{ places_unavailable: boolean }>(down).places_unavailable).toBe(true);
    } finally {
      places.setDown(false);
    }
    expect((await change(httpEvent({ method: 'GET', path: '/places', bearer: KEY }))).statusCode).toBe(400);
  });

  it('receipts-export: the export is written under exports/<owner>/ and answered 303 to a GET of it', async () => {
    const { image_id } = compactedImage!;
    const view = bodyOf<{ merchant: { place_id: string } }>(
      await read(httpEvent({ method: 'GET', path: `/receipts/${image_id}/1`, bearer: KEY })),
    );
    // The owner's listing (GSI3) and one merchant's (GSI4): the two indexes its role names.
    const queries: Record<string, string>[] = [
      { format: 'csv' },
      { format: 'jsonl', merchant: view.merchant.place_id },
    ];
    for (const query of queries) {
      const res = await exporter(httpEvent({ method: 'GET', path: '/export', query, bearer: KEY }));
      expect(res.statusCode, res.body).toBe(303);
      const location = (res.headers as Record<string, string>).location!;
      const { url, bytes } = bodyOf<{ url: string; bytes: number }>(res);
      expect(url).toBe(location);
      const extension = query.format === 'csv' ? 'csv' : 'jsonl';
      expect(decodeURIComponent(new URL(location).pathname)).toMatch(
        new RegExp(`^/${stores.artifacts.bucket}/exports/default/[0-9a-f-]{36}\\.${extension}$`),
      );
      // The presigned GET, followed as a browser would (through the emulators' endpoint).
      const got = await fetch(location);
      expect(got.status).toBe(200);
      const text = await got.text();
      expect(Buffer.byteLength(text)).toBe(bytes);
      expect(text).toContain(image_id);
      if (query.format === 'jsonl') {
        expect(
          text
            .trim()
            .split('\n')
            .map((l) => (JSON.parse(l) as { image_id: string }).image_id),
        ).toEqual([image_id]);
      }
    }
    // A bad filter is a 400 naming it, before anything is written.
    const bad = await exporter(
      httpEvent({ method: 'GET', path: '/export', query: { format: 'csv', from: 'May' }, bearer: KEY }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('from');
  });

  it('receipts-change: a correction answers the corrected view; a delete removes the receipt, its image and OCR JSON', async () => {
    const { image_id, s3_key } = compactedImage!;
    const path = `/receipts/${image_id}/1`;
    const json = { 'content-type': 'application/json' };
    const before = bodyOf<{ merchant: { place_id: string } }>(
      await read(httpEvent({ method: 'GET', path, bearer: KEY })),
    );
    const patched = await change(
      httpEvent({
        method: 'PATCH',
        path,
        headers: json,
        body: JSON.stringify({ merchant: { place_id: before.merchant.place_id }, fields: { date: '2024-03-09' } }),
        bearer: KEY,
      }),
    );
    expect(patched.statusCode, patched.body).toBe(200);
    expect(bodyOf(patched)).toMatchObject({
      receipt: { image_id, fields: { date: { value: '2024-03-09', source: 'user' } } },
      merchant: { place_id: before.merchant.place_id, source: 'user' },
    });
    const ocrKeys = async () =>
      (await s3.send(new ListObjectsV2Command({ Bucket: stores.artifacts.bucket }))).Contents?.map((o) => o.Key) ?? [];
    const routing = await stores.jobs.getRoutingDecision((await stores.jobs.listJobsForImage(image_id))[0]!.job_id);
    expect(await ocrKeys()).toContain(routing!.ocr_s3_key);

    const deleted = await change(httpEvent({ method: 'DELETE', path, bearer: KEY }));
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect((await read(httpEvent({ method: 'GET', path, bearer: KEY }))).statusCode).toBe(404);
    expect(await stores.raw.head(s3_key)).toBeNull();
    expect(await ocrKeys()).not.toContain(routing!.ocr_s3_key);
    // A repeat is a success that changes nothing.
    expect((await change(httpEvent({ method: 'DELETE', path, bearer: KEY }))).statusCode).toBe(204);
  });
});

/**
 * Statements a function's code never calls in the run above, each with why it stays. The
 * statements the Lambda service uses with the role (LAMBDA_SERVICE_SIDS) and those of
 * `Resource: "*"`-only actions (WILDCARD_ONLY_ACTIONS) are left out of the check on their own.
 */
const HEAD_404 =
  'no code lists the bucket: ListBucket under the prefix is what lets S3 answer a read of a missing key 404 (not there yet) rather than 403 (iam-policies.ts listUnder)';
const GRANTED_WITHOUT_A_CALL: Partial<Record<FunctionName, Record<string, string>>> = {
  upload: { ListRawImages: HEAD_404 },
  'process-ocr-results': {
    ListOcrArtifacts: HEAD_404,
    ListVectorDeltas: HEAD_404,
    AbortVectorDeltaUploads:
      'only a failed multipart upload (a delta over 5 MiB) aborts; the deltas here are smaller, iam-multipart-upload.test.ts checks those calls',
  },
  compaction: { ListVectorObjects: HEAD_404 },
  'receipts-export': {
    AbortExportUploads:
      'only a failed multipart upload aborts (the exports here are one PutObject); streamedUpload, which S3ExportArtifacts writes through, is checked aborting in adapters-aws s3-image-store.test.ts',
  },
  'receipts-read': {
    ListVectorIndex:
      "the index in the bucket is empty here, and a follower lists a collection's segments and snapshots only once its manifest exists (HEAD_404 besides)",
  },
};

/** How each function is deployed as far as its policy depends on it (the s3 index prefix for the similar route). */
const POLICY_OPTIONS: Partial<Record<FunctionName, PolicyOptions>> = {
  'receipts-read': { inVpc: true, vectorIndexPrefix: VECTOR_PREFIX },
  'receipts-export': { inVpc: false },
  'receipts-change': { inVpc: false },
  pipeline: { inVpc: false },
};

// The functions whose handlers run above; the rest are listed so that a new one is not forgotten.
const NOT_RUN_HERE: Record<string, string> = {
  authorizer: 'makes no AWS call (API keys come from its configuration); its role only writes logs',
  sweep: 'runs in sweep-lambda.test.ts against its own emulators, not in this pipeline run',
};

describe('IAM from real usage: each function role against the calls its handler made above', () => {
  const arns = (): PolicyArns => ({
    logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/receiptflow`,
    tableArn: tableArn(tableName),
    tableStreamArn: `${tableArn(tableName)}/stream/2026-12-01T00:00:00.000`,
    rawBucketArn: bucketArn(stores.raw.bucket),
    artifactsBucketArn: bucketArn(stores.artifacts.bucket),
    vectorsBucketArn: bucketArn(stores.deltas.bucket),
    ocrQueueArn: queueArnFromUrl(stores.ocrQueue.queueUrl),
    ocrResultsQueueArn: queueArnFromUrl(stores.resultsQueue.queueUrl),
    compactionQueueArn: queueArnFromUrl(stores.compactionQueue.queueUrl),
    ocrDlqArn: queueArnFromUrl(dlqUrlOf.get(stores.ocrQueue.queueUrl)!),
    ocrResultsDlqArn: queueArnFromUrl(dlqUrlOf.get(stores.resultsQueue.queueUrl)!),
    compactionDlqArn: queueArnFromUrl(dlqUrlOf.get(stores.compactionQueue.queueUrl)!),
    streamDlqArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:stream-dlq`,
  });
  const checked = FUNCTION_NAMES.filter((fn) => !(fn in NOT_RUN_HERE));

  it.each(checked)('%s: every call is allowed, and every grant is used', (fn) => {
    const calls = recorder.calls.filter((c) => c.fn === fn);
    expect(calls.length, `${fn} made no recorded call: run the whole file, not this test alone`).toBeGreaterThan(0);
    const requests = calls.flatMap(iamRequests);
    const statements = policyStatements(fn, arns(), POLICY_OPTIONS[fn] ?? { inVpc: true });

    const denied = requests.filter((r) => !isAllowed(statements, r));
    expect(denied.map((r) => `${r.action} on ${r.resource} (${r.call})`)).toEqual([]);

    const byCode = statements.filter(
      (s) => !LAMBDA_SERVICE_SIDS.has(s.Sid) && !s.Action.every((a) => WILDCARD_ONLY_ACTIONS.has(a)),
    );
    const justified = GRANTED_WITHOUT_A_CALL[fn] ?? {};
    const unused = unusedGrants(byCode, requests).filter((u) => !(u.sid in justified));
    expect(unused.map((u) => `${u.sid} ${u.grant}`)).toEqual([]);
  });

  // The worker's receive/delete loop (packages/worker) is not run here, so only "allowed" is checked.
  it('ocr-worker: every call of its OCR step is allowed by the managed policy it is given', () => {
    const requests = recorder.calls.filter((c) => c.fn === 'ocr-worker').flatMap(iamRequests);
    expect(requests.length).toBeGreaterThan(0);
    const statements = ocrWorkerStatements(arns());
    expect(requests.filter((r) => !isAllowed(statements, r)).map((r) => `${r.action} on ${r.resource}`)).toEqual([]);
  });
});
