import { submitJob, type SubmitJobResult } from '@receiptflow/core';
import { SystemClock, UuidIdGenerator } from '@receiptflow/adapters-local';
import { demoReceipts, renderReceipt, type DemoReceipt } from '@receiptflow/adapters-local/synthetic';
import { DynamoDbOcrJobStore } from '@receiptflow/adapters-aws/dynamodb';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import type { EmulatorStack } from './emulator-stack.js';

export interface SubmittedReceipt {
  receipt: DemoReceipt;
  job: SubmitJobResult;
}

/**
 * Renders the first `count` synthetic demo receipts and submits each as an upload would, through
 * core's submitJob: image in the raw bucket, image + PENDING job rows, and the seed-shaped message
 * `{image_id, job_id, s3_bucket, s3_key}` (plus `ocr_s3_bucket`) on ocr-queue.
 */
export async function submitDemoReceipts(stack: EmulatorStack, count: number, seed = 1): Promise<SubmittedReceipt[]> {
  const clock = new SystemClock();
  const deps = {
    jobs: new DynamoDbOcrJobStore(stack.clients.doc, { tableName: stack.tableName, clock }),
    images: new S3ImageStore(stack.clients.s3, { bucket: stack.rawBucket }),
    ocrQueue: new SqsQueue(stack.clients.sqs, { queueUrl: stack.ocrQueueUrl }),
    clock,
    ids: new UuidIdGenerator(),
    // As the upload Lambda does: the message says where the OCR JSON belongs.
    ocrBucket: stack.artifactsBucket,
  };
  const submitted: SubmittedReceipt[] = [];
  for (const receipt of demoReceipts(seed).slice(0, count)) {
    const { png } = await renderReceipt(receipt.spec);
    const job = await submitJob(deps, { filename: `${receipt.id}.png`, contentType: 'image/png', body: png });
    submitted.push({ receipt, job });
  }
  return submitted;
}
