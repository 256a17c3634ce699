import type { PolicyArns } from '../../../infra/src/iam-policies.js';
import type { SdkCall } from './sdk-call-recorder.js';

/**
 * What IAM evaluates for one SDK call: the action, the resource ARN and the request's condition
 * keys. One SDK call may be several requests (a TransactWriteItems is one per item).
 */
export interface IamRequest {
  action: string;
  resource: string;
  /** Condition keys the request carries, e.g. `s3:prefix` for a listing. */
  context?: Record<string, string>;
  /** The SDK call it comes from, for messages. */
  call: string;
}

/** The fake account and region every ARN of the emulator run is built with. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export const tableArn = (table: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`;
export const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

/**
 * Placeholder ARNs for every resource but the vectors bucket, the one real (fauxqs) bucket of the
 * vector-storage tests, whose calls are checked against the policies built from these.
 */
export const policyArnsWithVectorsBucket = (bucket: string): PolicyArns => ({
  logGroupArn: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/receiptflow',
  tableArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/jobs',
  tableStreamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/jobs/stream/s',
  rawBucketArn: bucketArn('raw'),
  artifactsBucketArn: bucketArn('artifacts'),
  vectorsBucketArn: bucketArn(bucket),
  ocrQueueArn: 'arn:aws:sqs:us-east-1:000000000000:ocr',
  ocrResultsQueueArn: 'arn:aws:sqs:us-east-1:000000000000:ocr-results',
  compactionQueueArn: 'arn:aws:sqs:us-east-1:000000000000:compaction',
  ocrDlqArn: 'arn:aws:sqs:us-east-1:000000000000:ocr-dlq',
  ocrResultsDlqArn: 'arn:aws:sqs:us-east-1:000000000000:ocr-results-dlq',
  compactionDlqArn: 'arn:aws:sqs:us-east-1:000000000000:compaction-dlq',
  streamDlqArn: 'arn:aws:sqs:us-east-1:000000000000:stream-dlq',
});
/** A queue's ARN from its URL (`…/<account>/<name>`, on AWS and fauxqs alike): the name is the last segment. */
export const queueArnFromUrl = (url: string) =>
  `arn:aws:sqs:${REGION}:${ACCOUNT}:${new URL(url).pathname.split('/').pop()}`;

/** Thrown for a command the mapping does not know: add it below rather than let a call go unchecked. */
export class UnmappedSdkCommandError extends Error {
  readonly code = 'UNMAPPED_SDK_COMMAND';
  constructor(call: SdkCall) {
    super(
      `no IAM mapping for ${call.client} ${call.command} (made by ${call.fn}): add it to ` +
        'packages/handlers/tests/support/iam-requests.ts with the action(s) and resource(s) IAM evaluates for it',
    );
    this.name = 'UnmappedSdkCommandError';
  }
}

type Input = Record<string, unknown>;
type Mapper = (input: Input, call: string) => IamRequest[];

const str = (input: Input, field: string): string => {
  const value = input[field];
  if (typeof value !== 'string') throw new Error(`SDK input has no ${field}: ${JSON.stringify(input)}`);
  return value;
};

// DynamoDB: the table, or table/index/NAME when the call reads an index.
const onTable =
  (action: string): Mapper =>
  (input, call) => {
    const table = tableArn(str(input, 'TableName'));
    const index = typeof input.IndexName === 'string' ? `${table}/index/${input.IndexName}` : table;
    return [{ action, resource: index, call }];
  };
// BatchGetItem / BatchWriteItem are their own IAM actions, evaluated once per table named.
const perTableOf =
  (action: string): Mapper =>
  (input, call) =>
    Object.keys((input.RequestItems ?? {}) as Input).map((t) => ({ action, resource: tableArn(t), call }));
// TransactWriteItems has no IAM action of its own: IAM evaluates each item's own action on its table.
const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};
const perTransactItem: Mapper = (input, call) =>
  ((input.TransactItems ?? []) as Input[]).flatMap((item) =>
    Object.entries(item).map(([kind, op]) => {
      const action = TRANSACT_ITEM_ACTIONS[kind];
      if (!action) throw new Error(`${call}: unknown transaction item kind ${kind}`);
      return { action, resource: tableArn(str(op as Input, 'TableName')), call };
    }),
  );

// S3: objects are bucket/key; a listing is ListBucket on the bucket, with the prefix as `s3:prefix`.
const onObject =
  (action: string): Mapper =>
  (input, call) => [{ action, resource: `${bucketArn(str(input, 'Bucket'))}/${str(input, 'Key')}`, call }];
const onListing: Mapper = (input, call) => [
  {
    action: 's3:ListBucket',
    resource: bucketArn(str(input, 'Bucket')),
    context: { 's3:prefix': typeof input.Prefix === 'string' ? input.Prefix : '' },
    call,
  },
];
const onEachObject: Mapper = (input, call) =>
  ((input.Delete as { Objects?: { Key: string }[] } | undefined)?.Objects ?? []).map((o) => ({
    action: 's3:DeleteObject',
    resource: `${bucketArn(str(input, 'Bucket'))}/${o.Key}`,
    call,
  }));

// SQS: the queue the URL names; the *Batch forms need the single-message action.
const onQueue =
  (action: string): Mapper =>
  (input, call) => [{ action, resource: queueArnFromUrl(str(input, 'QueueUrl')), call }];

/** Client → command → the requests IAM evaluates. Small on purpose: unknown commands fail loudly. */
const MAPPING: Record<string, Record<string, Mapper>> = {
  DynamoDBClient: {
    GetItemCommand: onTable('dynamodb:GetItem'),
    PutItemCommand: onTable('dynamodb:PutItem'),
    UpdateItemCommand: onTable('dynamodb:UpdateItem'),
    DeleteItemCommand: onTable('dynamodb:DeleteItem'),
    QueryCommand: onTable('dynamodb:Query'),
    ScanCommand: onTable('dynamodb:Scan'),
    BatchGetItemCommand: perTableOf('dynamodb:BatchGetItem'),
    BatchWriteItemCommand: perTableOf('dynamodb:BatchWriteItem'),
    TransactWriteItemsCommand: perTransactItem,
    TransactGetItemsCommand: perTransactItem,
  },
  S3Client: {
    GetObjectCommand: onObject('s3:GetObject'),
    // HEAD is authorised as GetObject.
    HeadObjectCommand: onObject('s3:GetObject'),
    PutObjectCommand: onObject('s3:PutObject'),
    // A streamed put (lib-storage) of a delta over one 5 MiB part: the parts are authorised as
    // PutObject; aborting a failed upload needs its own action.
    CreateMultipartUploadCommand: onObject('s3:PutObject'),
    UploadPartCommand: onObject('s3:PutObject'),
    CompleteMultipartUploadCommand: onObject('s3:PutObject'),
    AbortMultipartUploadCommand: onObject('s3:AbortMultipartUpload'),
    DeleteObjectCommand: onObject('s3:DeleteObject'),
    DeleteObjectsCommand: onEachObject,
    PutObjectTaggingCommand: onObject('s3:PutObjectTagging'),
    ListObjectsV2Command: onListing,
  },
  SQSClient: {
    SendMessageCommand: onQueue('sqs:SendMessage'),
    SendMessageBatchCommand: onQueue('sqs:SendMessage'),
    ReceiveMessageCommand: onQueue('sqs:ReceiveMessage'),
    DeleteMessageCommand: onQueue('sqs:DeleteMessage'),
    DeleteMessageBatchCommand: onQueue('sqs:DeleteMessage'),
    ChangeMessageVisibilityCommand: onQueue('sqs:ChangeMessageVisibility'),
    ChangeMessageVisibilityBatchCommand: onQueue('sqs:ChangeMessageVisibility'),
    GetQueueAttributesCommand: onQueue('sqs:GetQueueAttributes'),
  },
};

/**
 * The requests IAM evaluates for one recorded SDK call.
 *
 * @example
 * iamRequests({ fn: 'compaction', client: 'S3Client', command: 'DeleteObjectCommand', input: { Bucket: 'v', Key: 'deltas/a' } })
 * // [{ action: 's3:DeleteObject', resource: 'arn:aws:s3:::v/deltas/a', call: 'S3Client DeleteObjectCommand' }]
 */
export function iamRequests(call: SdkCall): IamRequest[] {
  const mapper = MAPPING[call.client]?.[call.command];
  if (!mapper) throw new UnmappedSdkCommandError(call);
  return mapper(call.input, `${call.client} ${call.command}`);
}
