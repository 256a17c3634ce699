import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue, type SqsQueueFromArnConfig } from '@receiptflow/adapters-aws/sqs';
import type { EventSourceResolver } from '../../handlers/sqs-event.js';
import { instrumented, settleSqsClientConfig, type AwsClientSettings } from './clients.js';

/**
 * How a queue consumer finds the queue of its records: from each record's `eventSourceARN`
 * (`SqsQueue.fromArn`, the URL derived from the ARN and the client's endpoint, so no queue URL
 * in its config), with one SQS client of its own that fails fast ({@link settleSqsClientConfig}).
 * Each queue is built once per container; the client on first use.
 *
 * @example
 * const sourceOf = queueEventSources(settingsFrom(config));
 * const queue = await sourceOf('arn:aws:sqs:eu-west-1:123456789012:receiptflow-prod-compaction-queue');
 */
export function queueEventSources(
  settings: AwsClientSettings,
  options: Pick<SqsQueueFromArnConfig, 'queueUrlOf'> = {},
): EventSourceResolver {
  let client: SQSClient | undefined;
  const queues = new Map<string, Promise<SqsQueue>>();
  return (arn) => {
    let queue = queues.get(arn);
    if (!queue) {
      client ??= instrumented(new SQSClient(settleSqsClientConfig(settings)), settings);
      queue = SqsQueue.fromArn(client, arn, options);
      // A refused ARN is not remembered: it is refused again, and logged, each time.
      queue.catch(() => queues.delete(arn));
      queues.set(arn, queue);
    }
    return queue;
  };
}
