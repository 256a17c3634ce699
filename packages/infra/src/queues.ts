import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.js';
import { tlsOnlyPolicyJson } from './iam.js';
import type { QueueKey, QueuePlan } from './plan.js';

/** A DLQ keeps a message 14 days (the SQS maximum): its age carries over from the source queue. */
export const DLQ_RETENTION_SECONDS = 1_209_600;

/** A work queue with its dead-letter queue. */
export interface QueuePair {
  plan: QueuePlan;
  queue: aws.sqs.Queue;
  dlq: aws.sqs.Queue;
}

export interface Queues {
  byKey: Record<QueueKey, QueuePair>;
  /** The DynamoDB stream mapping's on-failure destination. */
  streamDlq: aws.sqs.Queue;
}

/** A queue policy that refuses any request not made over TLS. */
export function tlsOnlyQueuePolicy(queueArn: string): string {
  return tlsOnlyPolicyJson('sqs:*', queueArn);
}

function tlsOnly(logical: string, queue: aws.sqs.Queue): void {
  new aws.sqs.QueuePolicy(`${logical}-policy`, { queueUrl: queue.url, policy: queue.arn.apply(tlsOnlyQueuePolicy) });
}

/**
 * `ocr-queue`, `ocr-results-queue` and `compaction-queue`, each with a DLQ that only its own
 * source queue may redrive into, SSE, long polling and a TLS-only policy. The numbers come from
 * the plan, which `checkLimits` has accepted.
 */
export function createQueues(ctx: StackContext, plans: QueuePlan[]): Queues {
  const byKey = {} as Record<QueueKey, QueuePair>;
  for (const plan of plans) {
    const name = `${ctx.prefix}-${plan.baseName}`;
    const dlq = new aws.sqs.Queue(`${plan.baseName}-dlq`, {
      name: `${name}-dlq`,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
      sqsManagedSseEnabled: true,
      tags: ctx.tags,
    });
    const queue = new aws.sqs.Queue(plan.baseName, {
      name,
      visibilityTimeoutSeconds: plan.visibilityTimeoutSeconds,
      messageRetentionSeconds: plan.messageRetentionSeconds,
      receiveWaitTimeSeconds: 20,
      sqsManagedSseEnabled: true,
      redrivePolicy: pulumi.jsonStringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: plan.maxReceiveCount }),
      tags: ctx.tags,
    });
    new aws.sqs.RedriveAllowPolicy(`${plan.baseName}-dlq-redrive-allow`, {
      queueUrl: dlq.url,
      redriveAllowPolicy: pulumi.jsonStringify({ redrivePermission: 'byQueue', sourceQueueArns: [queue.arn] }),
    });
    tlsOnly(plan.baseName, queue);
    tlsOnly(`${plan.baseName}-dlq`, dlq);
    byKey[plan.key] = { plan, queue, dlq };
  }
  const streamDlq = new aws.sqs.Queue('stream-processor-dlq', {
    name: `${ctx.prefix}-stream-processor-dlq`,
    messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    sqsManagedSseEnabled: true,
    tags: ctx.tags,
  });
  tlsOnly('stream-processor-dlq', streamDlq);
  return { byKey, streamDlq };
}
