import { describe, expect, it } from 'vitest';
import { policyStatements, type PolicyArns } from '../../infra/src/iam-policies.js';
import { isAllowed } from './support/iam-evaluate.js';
import { bucketArn, iamRequests } from './support/iam-requests.js';

// issue 20, item 7: deltas are streamed, and a words delta over one 5 MiB part is a multipart
// upload (S3ImageStore.putStream through lib-storage). The emulator runs write smaller deltas, so
// these are the calls s3-image-store.test.ts sees lib-storage make for a big one, failed
// part and abort included, checked against the role infra gives process-OCR-results.
const arns: PolicyArns = {
  logGroupArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/receiptflow',
  tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/jobs',
  tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/jobs/stream/x',
  rawBucketArn: bucketArn('raw'),
  artifactsBucketArn: bucketArn('artifacts'),
  vectorsBucketArn: bucketArn('vectors'),
  ocrQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:ocr',
  ocrResultsQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:ocr-results',
  compactionQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:compaction',
  ocrDlqArn: 'arn:aws:sqs:eu-west-1:123456789012:ocr-dlq',
  ocrResultsDlqArn: 'arn:aws:sqs:eu-west-1:123456789012:ocr-results-dlq',
  compactionDlqArn: 'arn:aws:sqs:eu-west-1:123456789012:compaction-dlq',
  streamDlqArn: 'arn:aws:sqs:eu-west-1:123456789012:stream-dlq',
};

describe('IAM: a streamed delta over one part', () => {
  it('process-ocr-results may create, send, complete and abort a multipart upload of a delta, and nothing else', () => {
    const statements = policyStatements('process-ocr-results', arns, { inVpc: true });
    const call = (command: string, Key: string) =>
      iamRequests({ fn: 'process-ocr-results', client: 'S3Client', command, input: { Bucket: 'vectors', Key } });
    const commands = [
      'CreateMultipartUploadCommand',
      'UploadPartCommand',
      'CompleteMultipartUploadCommand',
      'AbortMultipartUploadCommand',
    ];
    const onDelta = commands.flatMap((c) => call(c, 'deltas/words/run-1.bin'));
    expect(onDelta.filter((r) => !isAllowed(statements, r)).map((r) => r.action)).toEqual([]);
    // Outside deltas/ (the snapshots), none of it.
    const elsewhere = commands.flatMap((c) => call(c, 'snapshots/words/v1'));
    expect(elsewhere.filter((r) => isAllowed(statements, r)).map((r) => r.action)).toEqual([]);
  });
});
