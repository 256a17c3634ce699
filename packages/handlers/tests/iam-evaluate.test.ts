import { describe, expect, it } from 'vitest';
import type { Statement } from '../../infra/src/iam-policies.js';
import { isAllowed, unusedGrants, wildcardMatch } from './support/iam-evaluate.js';
import { iamRequests, UnmappedSdkCommandError, type IamRequest } from './support/iam-requests.js';

// The evaluator and the call → IAM mapping the e2e IAM check relies on
// (e2e-aws-emulators.test.ts, docs/adapters.md#iam-from-real-usage).

const req = (action: string, resource: string, context?: Record<string, string>): IamRequest => ({
  action,
  resource,
  call: 'test',
  ...(context ? { context } : {}),
});
const allow = (Action: string[], Resource: string | string[], Condition?: Statement['Condition']): Statement => ({
  Sid: 'S',
  Effect: 'Allow',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});

describe('IAM evaluation as the e2e check models it', () => {
  it('matches IAM wildcards: * spans slashes, ? is one character, everything else is literal', () => {
    expect(wildcardMatch('arn:aws:s3:::b/deltas/*', 'arn:aws:s3:::b/deltas/lines/r.json')).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::b/deltas/*', 'arn:aws:s3:::b/snapshots/x')).toBe(false);
    expect(wildcardMatch('run-?', 'run-1')).toBe(true);
    expect(wildcardMatch('run-?', 'run-12')).toBe(false);
    expect(wildcardMatch('arn:aws:s3:::a.b/*', 'arn:aws:s3:::aXb/k')).toBe(false);
  });

  it('compares actions case-insensitively and resources exactly', () => {
    const statements = [allow(['s3:GetObject'], 'arn:aws:s3:::b/raw/*')];
    expect(isAllowed(statements, req('S3:getobject', 'arn:aws:s3:::b/raw/k'))).toBe(true);
    expect(isAllowed(statements, req('s3:GetObject', 'arn:aws:s3:::b/RAW/k'))).toBe(false);
    expect(isAllowed(statements, req('s3:DeleteObject', 'arn:aws:s3:::b/raw/k'))).toBe(false);
  });

  it('applies a StringLike condition only when the request carries a matching key', () => {
    const statements = [allow(['s3:ListBucket'], 'arn:aws:s3:::b', { StringLike: { 's3:prefix': ['raw/*'] } })];
    expect(isAllowed(statements, req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'raw/x' }))).toBe(true);
    expect(isAllowed(statements, req('s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'ocr/x' }))).toBe(false);
    expect(isAllowed(statements, req('s3:ListBucket', 'arn:aws:s3:::b'))).toBe(false);
  });

  it('lets an explicit Deny win, and refuses a condition operator it does not model', () => {
    const deny: Statement = { Sid: 'D', Effect: 'Deny', Action: ['s3:*'], Resource: '*' };
    expect(isAllowed([allow(['s3:GetObject'], '*'), deny], req('s3:GetObject', 'arn:aws:s3:::b/k'))).toBe(false);
    const odd = [allow(['s3:GetObject'], '*', { NumericLessThan: { 's3:max-keys': '10' } })];
    expect(() => isAllowed(odd, req('s3:GetObject', 'x', { 's3:max-keys': '5' }))).toThrow(/NumericLessThan/);
  });

  it('reports each action and each resource of a statement that no request used', () => {
    const statements = [allow(['s3:GetObject', 's3:PutObject'], ['arn:aws:s3:::b/deltas/*', 'arn:aws:s3:::b/snap/*'])];
    expect(unusedGrants(statements, [req('s3:GetObject', 'arn:aws:s3:::b/deltas/k')])).toEqual([
      { sid: 'S', grant: 's3:PutObject' },
      { sid: 'S', grant: 'arn:aws:s3:::b/snap/*' },
    ]);
  });
});

describe('SDK call → the requests IAM evaluates', () => {
  const call = (client: string, command: string, input: Record<string, unknown>) =>
    iamRequests({ fn: 'f', client, command, input }).map((r) => [r.action, r.resource, r.context]);

  it('maps a Query on an index to the index ARN, and a transaction to each item on its table', () => {
    expect(call('DynamoDBClient', 'QueryCommand', { TableName: 't', IndexName: 'GSI1' })).toEqual([
      ['dynamodb:Query', 'arn:aws:dynamodb:us-east-1:123456789012:table/t/index/GSI1', undefined],
    ]);
    expect(
      call('DynamoDBClient', 'TransactWriteItemsCommand', {
        TransactItems: [{ Put: { TableName: 'a' } }, { ConditionCheck: { TableName: 'b' } }],
      }).map(([action, resource]) => `${action} ${resource}`),
    ).toEqual([
      'dynamodb:PutItem arn:aws:dynamodb:us-east-1:123456789012:table/a',
      'dynamodb:ConditionCheckItem arn:aws:dynamodb:us-east-1:123456789012:table/b',
    ]);
  });

  it('maps HEAD to GetObject, a listing to ListBucket with its prefix, and DeleteObjects to each key', () => {
    expect(call('S3Client', 'HeadObjectCommand', { Bucket: 'b', Key: 'raw/k' })).toEqual([
      ['s3:GetObject', 'arn:aws:s3:::b/raw/k', undefined],
    ]);
    expect(call('S3Client', 'ListObjectsV2Command', { Bucket: 'b', Prefix: 'deltas/' })).toEqual([
      ['s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'deltas/' }],
    ]);
    expect(
      call('S3Client', 'DeleteObjectsCommand', { Bucket: 'b', Delete: { Objects: [{ Key: 'x' }, { Key: 'y' }] } }),
    ).toEqual([
      ['s3:DeleteObject', 'arn:aws:s3:::b/x', undefined],
      ['s3:DeleteObject', 'arn:aws:s3:::b/y', undefined],
    ]);
  });

  it('maps an SQS call to the queue its URL names', () => {
    expect(call('SQSClient', 'SendMessageBatchCommand', { QueueUrl: 'http://127.0.0.1:4566/000000000000/q' })).toEqual([
      ['sqs:SendMessage', 'arn:aws:sqs:us-east-1:123456789012:q', undefined],
    ]);
  });

  it('fails loudly, naming the command, for a call it has no mapping for', () => {
    expect(() => call('S3Client', 'CopyObjectCommand', { Bucket: 'b', Key: 'k' })).toThrow(UnmappedSdkCommandError);
    expect(() => call('S3Client', 'CopyObjectCommand', { Bucket: 'b', Key: 'k' })).toThrow(
      /no IAM mapping for S3Client CopyObjectCommand/,
    );
  });
});
