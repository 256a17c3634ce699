import { GetObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { OcrResultsMessageSchema, type OcrJob, type OcrResultsMessage } from '@receiptflow/core';
import { DynamoDbOcrJobStore } from '@receiptflow/adapters-aws/dynamodb';
import { SystemClock } from '@receiptflow/adapters-local/clock';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import type { EmulatorStack } from '@receiptflow/devkit/dev-stack';

/** Lines written by the worker's JSON logger, parsed. */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A LogSink that keeps what is written. */
export function captureSink(): { write(s: string): void; text(): string } {
  let text = '';
  return { write: (s: string) => void (text += s), text: () => text };
}

export function jobStore(stack: EmulatorStack): DynamoDbOcrJobStore {
  return new DynamoDbOcrJobStore(stack.clients.doc, { tableName: stack.tableName, clock: new SystemClock() });
}

export function queue(stack: EmulatorStack, queueUrl: string): SqsQueue {
  return new SqsQueue(stack.clients.sqs, { queueUrl });
}

/** Receives (and deletes) every message on a queue until a receive comes back empty. */
export async function drainBodies(stack: EmulatorStack, queueUrl: string): Promise<string[]> {
  const q = queue(stack, queueUrl);
  const bodies: string[] = [];
  for (;;) {
    const batch = await q.receive({ maxMessages: 10, waitSeconds: 1 });
    if (batch.length === 0) return bodies;
    for (const m of batch) {
      bodies.push(m.body);
      await m.ack();
    }
  }
}

export async function resultsMessages(stack: EmulatorStack): Promise<OcrResultsMessage[]> {
  return (await drainBodies(stack, stack.resultsQueueUrl)).map((b) => OcrResultsMessageSchema.parse(JSON.parse(b)));
}

export async function readArtifact(stack: EmulatorStack, bucket: string, key: string): Promise<unknown> {
  const out = await stack.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await out.Body!.transformToString());
}

export async function deleteRawImage(stack: EmulatorStack, key: string): Promise<void> {
  await stack.clients.s3.send(new DeleteObjectCommand({ Bucket: stack.rawBucket, Key: key }));
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function jobStatus(stack: EmulatorStack, jobId: string): Promise<OcrJob['status'] | undefined> {
  return (await jobStore(stack).getJob(jobId))?.status;
}
