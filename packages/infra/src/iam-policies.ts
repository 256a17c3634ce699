import { EXPORT_KEY_PREFIX } from '@receiptflow/core';
import type { FunctionName } from './function-specs.js';

/** An IAM policy statement as written in JSON. */
export interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * Actions that IAM cannot scope to a narrower resource than `*`: Lambda's ENI management
 * (Describe* has no resource type; Lambda validates Create/Delete against `*` when a VPC
 * function is created) and DynamoDB's ListStreams. Any statement with `Resource: "*"` may
 * only contain these; a test enforces it.
 */
export const WILDCARD_ONLY_ACTIONS: ReadonlySet<string> = new Set([
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'dynamodb:ListStreams',
]);

/** The resolved ARNs a function's policy refers to. */
export interface PolicyArns {
  logGroupArn: string;
  tableArn: string;
  tableStreamArn: string;
  rawBucketArn: string;
  artifactsBucketArn: string;
  vectorsBucketArn: string;
  ocrQueueArn: string;
  ocrResultsQueueArn: string;
  compactionQueueArn: string;
  /** The work queues' dead-letter queues: the operator routes list and redrive them. */
  ocrDlqArn: string;
  ocrResultsDlqArn: string;
  compactionDlqArn: string;
  streamDlqArn: string;
  /** Set when the function mounts EFS. */
  fileSystemArn?: string;
  accessPointArn?: string;
}

// What the DynamoDB adapters send: no BatchGetItem, no transactions (so no ConditionCheckItem).
// Each function's grants are checked against the calls it makes on the emulators
// (packages/handlers/tests/e2e-aws-emulators.test.ts, docs/adapters.md#iam-from-real-usage).
const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:Query'];
const TABLE_WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const SQS_CONSUME = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
];
/**
 * What an SQS event source mapping does with the function's role: poll, delete what succeeded,
 * read the queue's attributes (AWS's managed AWSLambdaSQSQueueExecutionRole is exactly these).
 * It never changes a message's visibility; the function's code does, in a statement of its own.
 */
const SQS_MAPPING = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
/**
 * The consumer's code on its own queue: a message that failed or met a busy lock is put back
 * with a short visibility (docs/operations.md#deadlines-and-lock-contention). From the VPC the
 * call goes through the NAT instance (endpoints.ts, NAT_SERVICES).
 */
const retrySoon = (sid: string, queueArn: string): Statement => ({
  Sid: sid,
  Effect: 'Allow',
  Action: ['sqs:ChangeMessageVisibility'],
  Resource: queueArn,
});

/** Reads and single-row writes: no deletes, no batches. */
const TABLE_READ_AND_UPSERT = [...TABLE_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

/**
 * Where receipts-export writes exports in the artifacts bucket (core's EXPORT_KEY_PREFIX); the
 * bucket's lifecycle expires them after a day (storage.ts).
 */
export const EXPORTS_PREFIX = EXPORT_KEY_PREFIX;

const tableAndIndexes = (a: PolicyArns) => [a.tableArn, `${a.tableArn}/index/*`];
/**
 * The receipt catalog's indexes (docs/adapters.md#access-patterns): GSI3 lists an owner's
 * receipts, GSI4 one merchant's, GSI5 an owner's merchants. Named one by one: the read side never
 * queries the pipeline's GSI1/GSI2.
 */
const catalogIndexes = (a: PolicyArns) => ['GSI3', 'GSI4', 'GSI5'].map((i) => `${a.tableArn}/index/${i}`);

/** The job table without its indexes: only the sweep queries those. */
const jobTable = (a: PolicyArns, actions: string[]): Statement => ({
  Sid: 'JobTable',
  Effect: 'Allow',
  Action: actions,
  Resource: a.tableArn,
});

/**
 * ListBucket under a prefix: without it, HEAD/GET of a missing object answers 403 instead of
 * 404, and an adapter's `head()` cannot tell "not there yet" from "forbidden".
 */
const listUnder = (sid: string, bucketArn: string, prefixes: string[]): Statement => ({
  Sid: sid,
  Effect: 'Allow',
  Action: ['s3:ListBucket'],
  Resource: bucketArn,
  Condition: { StringLike: { 's3:prefix': prefixes } },
});

/** How a function is deployed, as far as its policy depends on it. */
export interface PolicyOptions {
  inVpc: boolean;
  /**
   * vectorStorageMode s3, on the functions that use the vector index: the key prefix of the
   * index files in the vectors bucket. Compaction (the single writer) reads, writes and deletes
   * them; process-OCR-results and receipts-read (similar receipts) only read (as they only mount
   * EFS read-only in efs mode).
   */
  vectorIndexPrefix?: string;
  /**
   * vectorStorageMode server, compaction only: it writes each collection's snapshot file under
   * `snapshots/<collection>/` in the vectors bucket (a multipart upload when over 5 MiB), reads
   * it back to check it, lists and deletes those beyond the kept N. Nothing else writes there.
   */
  vectorSnapshots?: boolean;
}

/**
 * The least-privilege statements of one function's role. Pure, so tests can read them without
 * Pulumi; `iam.ts` feeds it the resources' ARNs.
 */
export function policyStatements(fn: FunctionName, a: PolicyArns, opts: PolicyOptions): Statement[] {
  const s: Statement[] = [
    // The log group is declared by the stack, so the function never needs CreateLogGroup.
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${a.logGroupArn}:*`,
    },
  ];
  if (opts.inVpc) {
    s.push({
      Sid: 'ManageVpcNetworkInterfaces',
      Effect: 'Allow',
      Action: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Resource: '*',
    });
  }
  switch (fn) {
    case 'upload':
      s.push(
        // PutObject stores a direct upload and signs the presigned POST; GetObject is the HEAD and
        // read that check an upload; DeleteObject removes bytes that are not an acceptable image.
        {
          Sid: 'RawImages',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
          Resource: `${a.rawBucketArn}/raw/*`,
        },
        listUnder('ListRawImages', a.rawBucketArn, ['raw/*']),
        // The status route reads the image's partition.
        jobTable(a, TABLE_READ_AND_UPSERT),
        { Sid: 'EnqueueOcrJobs', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: a.ocrQueueArn },
      );
      break;
    case 'receipts-read':
      s.push(
        // One receipt and its rows (GetItem, Query of the image's partition), and the catalog's
        // keyed listings; nothing is written.
        { Sid: 'ReadReceipts', Effect: 'Allow', Action: TABLE_READ, Resource: a.tableArn },
        { Sid: 'ListReceipts', Effect: 'Allow', Action: ['dynamodb:Query'], Resource: catalogIndexes(a) },
        // The signature of the image URLs (GET /images/{id}, a receipt's image_url): S3 checks the
        // signer's s3:GetObject when the URL is followed. The function reads no object itself.
        {
          Sid: 'SignImageUrls',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: `${a.rawBucketArn}/raw/*`,
        },
      );
      break;
    case 'receipts-change':
      s.push(
        // Corrections (the receipt row, its place, the duplicate fingerprints) and deletes (the
        // tombstone, the receipt's rows, and with its image's last receipt the image's rows).
        { Sid: 'ChangeReceipts', Effect: 'Allow', Action: [...TABLE_READ, ...TABLE_WRITE], Resource: a.tableArn },
        // A merchant correction copies name and address from a receipt already resolved to the
        // place: receipt places by place_id, GSI2.
        {
          Sid: 'FindPlaceReceipts',
          Effect: 'Allow',
          Action: ['dynamodb:Query'],
          Resource: `${a.tableArn}/index/GSI2`,
        },
        // GET /places: the owner's merchants (GSI5) come first; the Places answers are cached in
        // the table (GetItem and PutItem, granted above).
        {
          Sid: 'ListOwnMerchants',
          Effect: 'Allow',
          Action: ['dynamodb:Query'],
          Resource: `${a.tableArn}/index/GSI5`,
        },
        // A PATCH answers with the receipt view, whose image URL is signed for GET; a delete of
        // an image's last receipt removes its bytes.
        {
          Sid: 'RawImages',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:DeleteObject'],
          Resource: `${a.rawBucketArn}/raw/*`,
        },
        // ...and its OCR JSON, which holds every line of it.
        {
          Sid: 'DeleteOcrArtifacts',
          Effect: 'Allow',
          Action: ['s3:DeleteObject'],
          Resource: `${a.artifactsBucketArn}/ocr/*`,
        },
      );
      break;
    case 'receipts-export':
      s.push(
        // The listing the export pages through: an owner's receipts (GSI3) or one merchant's
        // (GSI4). No GetItem, no other index, nothing written to the table.
        {
          Sid: 'ListReceipts',
          Effect: 'Allow',
          Action: ['dynamodb:Query'],
          Resource: ['GSI3', 'GSI4'].map((i) => `${a.tableArn}/index/${i}`),
        },
        // The export, streamed as one PutObject or a multipart upload (CreateMultipartUpload,
        // UploadPart and CompleteMultipartUpload are authorised as PutObject), and GetObject for
        // the signature of its presigned URL (S3 checks the signer's right when it is followed).
        {
          Sid: 'WriteExports',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:GetObject'],
          Resource: `${a.artifactsBucketArn}/${EXPORTS_PREFIX}*`,
        },
        // A failed upload aborts its parts (lib-storage), so none are left billed.
        {
          Sid: 'AbortExportUploads',
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload'],
          Resource: `${a.artifactsBucketArn}/${EXPORTS_PREFIX}*`,
        },
      );
      break;
    case 'pipeline': {
      const workQueues = [a.ocrQueueArn, a.ocrResultsQueueArn, a.compactionQueueArn];
      const deadLetterQueues = [a.ocrDlqArn, a.ocrResultsDlqArn, a.compactionDlqArn];
      s.push(
        // GET /pipeline: jobs per status (a `Select: COUNT` Query per status) and the unfinished
        // runs, both on GSI1; no other index, no Scan.
        {
          Sid: 'CountJobsAndRuns',
          Effect: 'Allow',
          Action: ['dynamodb:Query'],
          Resource: `${a.tableArn}/index/GSI1`,
        },
        // A dead letter is explained by the job or run it names: single-row reads, no writes.
        { Sid: 'ReadNamedJobs', Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: a.tableArn },
        // Each work queue's depth and in-flight count, and its DLQ's.
        {
          Sid: 'QueueDepths',
          Effect: 'Allow',
          Action: ['sqs:GetQueueAttributes'],
          Resource: [...workQueues, ...deadLetterQueues],
        },
        // Listing (and the search of redrive) receives the dead letters and gives each back at
        // once (visibility 0): they stay in the DLQ.
        {
          Sid: 'ListDeadLetters',
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility'],
          Resource: deadLetterQueues,
        },
        // Redrive: the body is sent back to its work queue, THEN deleted from the DLQ.
        { Sid: 'RedriveToWorkQueues', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: workQueues },
        { Sid: 'RemoveRedriven', Effect: 'Allow', Action: ['sqs:DeleteMessage'], Resource: deadLetterQueues },
      );
      break;
    }
    case 'process-ocr-results':
      s.push(
        { Sid: 'ConsumeOcrResults', Effect: 'Allow', Action: SQS_MAPPING, Resource: a.ocrResultsQueueArn },
        retrySoon('RetryOcrResultsSoon', a.ocrResultsQueueArn),
        {
          Sid: 'ReadOcrArtifacts',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: `${a.artifactsBucketArn}/ocr/*`,
        },
        // Written, read back to validate, and deleted again when the image goes while it works.
        {
          Sid: 'WriteVectorDeltas',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
          Resource: `${a.vectorsBucketArn}/deltas/*`,
        },
        // A delta over 5 MiB is a multipart upload (its parts are PutObject); one that fails is
        // aborted, so that its parts are not kept and billed until the lifecycle rule's 7 days.
        {
          Sid: 'AbortVectorDeltaUploads',
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload'],
          Resource: `${a.vectorsBucketArn}/deltas/*`,
        },
        listUnder('ListOcrArtifacts', a.artifactsBucketArn, ['ocr/*']),
        listUnder('ListVectorDeltas', a.vectorsBucketArn, ['deltas/*']),
        jobTable(a, [...TABLE_READ, ...TABLE_WRITE]),
      );
      break;
    case 'stream-processor':
      s.push(
        {
          Sid: 'ReadTableStream',
          Effect: 'Allow',
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Resource: a.tableStreamArn,
        },
        { Sid: 'ListTableStreams', Effect: 'Allow', Action: ['dynamodb:ListStreams'], Resource: '*' },
        // The records carry the rows: the function itself never reads the table.
        { Sid: 'EnqueueCompaction', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: a.compactionQueueArn },
        // The stream mapping's on-failure destination is written with the function's role.
        { Sid: 'StreamFailureDestination', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: a.streamDlqArn },
      );
      break;
    case 'compaction':
      s.push(
        { Sid: 'ConsumeCompaction', Effect: 'Allow', Action: SQS_MAPPING, Resource: a.compactionQueueArn },
        retrySoon('RetryCompactionSoon', a.compactionQueueArn),
        // Compaction only reads deltas (they expire by the bucket's lifecycle rule); the index
        // lives in Chroma or the index files (below), its pointer in the table.
        {
          Sid: 'VectorObjects',
          Effect: 'Allow',
          Action: ['s3:GetObject'],
          Resource: `${a.vectorsBucketArn}/deltas/*`,
        },
        listUnder('ListVectorObjects', a.vectorsBucketArn, ['deltas/*']),
        // Runs, the lock and the snapshot pointer: single-row reads and writes.
        jobTable(a, TABLE_READ_AND_UPSERT),
      );
      break;
    case 'sweep':
      s.push(
        // The sweep only reads the table; the steps it re-sends to do the writing.
        { Sid: 'ReadJobTable', Effect: 'Allow', Action: TABLE_READ, Resource: tableAndIndexes(a) },
        // GetQueueAttributes: OCR is re-sent only while ocr-queue is empty.
        {
          Sid: 'ResendOcrJobs',
          Effect: 'Allow',
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
          Resource: a.ocrQueueArn,
        },
        { Sid: 'ResendOcrResults', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: a.ocrResultsQueueArn },
        { Sid: 'ResendMerges', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: a.compactionQueueArn },
      );
      break;
  }
  const index = opts.vectorIndexPrefix;
  if (index && (fn === 'compaction' || fn === 'process-ocr-results' || fn === 'receipts-read')) {
    s.push(
      // HEAD of the manifest and segments is GetObject; a follower never writes.
      {
        Sid: fn === 'compaction' ? 'WriteVectorIndex' : 'ReadVectorIndex',
        Effect: 'Allow',
        Action: fn === 'compaction' ? ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] : ['s3:GetObject'],
        Resource: `${a.vectorsBucketArn}/${index}/*`,
      },
      // The code lists a log's segments and the snapshots (not only a HEAD's 404).
      listUnder('ListVectorIndex', a.vectorsBucketArn, [`${index}/*`]),
    );
  }
  if (opts.vectorSnapshots && fn === 'compaction') {
    s.push(
      {
        Sid: 'WriteVectorSnapshots',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        Resource: `${a.vectorsBucketArn}/snapshots/*`,
      },
      // A snapshot that fails part-way (a deadline, a scan error) aborts its multipart upload.
      {
        Sid: 'AbortVectorSnapshotUploads',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload'],
        Resource: `${a.vectorsBucketArn}/snapshots/*`,
      },
      listUnder('ListVectorSnapshots', a.vectorsBucketArn, ['snapshots/*']),
    );
  }
  if (a.fileSystemArn && a.accessPointArn) {
    s.push({
      Sid: 'MountChromaAccessPoint',
      Effect: 'Allow',
      // Only compaction writes the index (the single writer); the results step mounts read-only.
      Action:
        fn === 'compaction'
          ? ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']
          : ['elasticfilesystem:ClientMount'],
      Resource: a.fileSystemArn,
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': a.accessPointArn } },
    });
  }
  return s;
}

/**
 * Statements the Lambda service uses with the function's role, on the function's behalf and from
 * its own network, never through the function's ENIs:
 * - `WriteOwnLogs`: the runtime ships stdout/stderr to CloudWatch Logs;
 * - `ManageVpcNetworkInterfaces`: Lambda creates the function's ENIs;
 * - `Consume*`: the SQS event source mapping's pollers receive and delete messages, and invoke
 *   the function with the batch (ReportBatchItemFailures settles it); the code's own
 *   ChangeMessageVisibility is in `Retry*Soon`, which is not the service's;
 * - `ReadTableStream`, `ListTableStreams`, `StreamFailureDestination`: the stream mapping;
 * - `MountChromaAccessPoint`: IAM authorisation of the NFS mount (NFS itself is a network path
 *   the doctor checks separately, not an API).
 * Everything else in a function's policy is called by the function's code.
 */
export const LAMBDA_SERVICE_SIDS: ReadonlySet<string> = new Set([
  'WriteOwnLogs',
  'ManageVpcNetworkInterfaces',
  'ConsumeOcrResults',
  'ConsumeCompaction',
  'ReadTableStream',
  'ListTableStreams',
  'StreamFailureDestination',
  'MountChromaAccessPoint',
]);

/** Stand-in ARNs: which services a policy names does not depend on the real ones. */
const SHAPE_ONLY_ARNS: PolicyArns = {
  logGroupArn: 'arn:aws:logs:r:0:log-group:x',
  tableArn: 'arn:aws:dynamodb:r:0:table/x',
  tableStreamArn: 'arn:aws:dynamodb:r:0:table/x/stream/s',
  rawBucketArn: 'arn:aws:s3:::raw',
  artifactsBucketArn: 'arn:aws:s3:::artifacts',
  vectorsBucketArn: 'arn:aws:s3:::vectors',
  ocrQueueArn: 'arn:aws:sqs:r:0:ocr',
  ocrResultsQueueArn: 'arn:aws:sqs:r:0:ocr-results',
  compactionQueueArn: 'arn:aws:sqs:r:0:compaction',
  ocrDlqArn: 'arn:aws:sqs:r:0:ocr-dlq',
  ocrResultsDlqArn: 'arn:aws:sqs:r:0:ocr-results-dlq',
  compactionDlqArn: 'arn:aws:sqs:r:0:compaction-dlq',
  streamDlqArn: 'arn:aws:sqs:r:0:stream-dlq',
  fileSystemArn: 'arn:aws:elasticfilesystem:r:0:file-system/x',
  accessPointArn: 'arn:aws:elasticfilesystem:r:0:access-point/x',
};

/**
 * The AWS services (IAM prefixes: `s3`, `dynamodb`, `sqs`, ...) that a function's own code calls,
 * read from its policy without the Lambda-service statements. What the code may call is what its
 * role allows, so this is what the VPC must reach; a call outside it would be denied anyway.
 *
 * @example
 * servicesCalledByCode('compaction', { inVpc: true }) // ['dynamodb', 's3', 'sqs']: sqs for its own retries; the mapping polls
 */
export function servicesCalledByCode(fn: FunctionName, opts: { inVpc: boolean; efs?: boolean }): string[] {
  const arns = opts.efs ? SHAPE_ONLY_ARNS : { ...SHAPE_ONLY_ARNS, fileSystemArn: undefined, accessPointArn: undefined };
  const services = policyStatements(fn, arns, { inVpc: opts.inVpc })
    .filter((s) => !LAMBDA_SERVICE_SIDS.has(s.Sid))
    .flatMap((s) => s.Action.map((a) => a.split(':')[0]!));
  return [...new Set(services)].sort();
}

/** The trust policy of a role that `service` (e.g. lambda.amazonaws.com) assumes. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}

/**
 * What the off-AWS OCR worker (`receipt-ocr`) may do: consume `ocr-queue`, read raw images,
 * write OCR JSON, update its job rows and announce results. Published as a managed policy for
 * the operator to attach to the worker's IAM user or role.
 */
export function ocrWorkerStatements(a: PolicyArns): Statement[] {
  return [
    { Sid: 'ConsumeOcrJobs', Effect: 'Allow', Action: SQS_CONSUME, Resource: a.ocrQueueArn },
    {
      Sid: 'AnnounceOcrResults',
      Effect: 'Allow',
      Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'],
      Resource: a.ocrResultsQueueArn,
    },
    { Sid: 'ReadRawImages', Effect: 'Allow', Action: ['s3:GetObject'], Resource: `${a.rawBucketArn}/raw/*` },
    listUnder('ListRawImages', a.rawBucketArn, ['raw/*']),
    { Sid: 'WriteOcrArtifacts', Effect: 'Allow', Action: ['s3:PutObject'], Resource: `${a.artifactsBucketArn}/ocr/*` },
    { Sid: 'JobTable', Effect: 'Allow', Action: [...TABLE_READ, ...TABLE_WRITE], Resource: tableAndIndexes(a) },
  ];
}
