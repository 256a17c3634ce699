import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '@receiptflow/core';
import { mapAwsError } from '../errors.js';

export interface RedriveSettings {
  /** Receives before a message moves to the DLQ. */
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  /** Message retention of the source queue. */
  retentionSeconds: number;
  /** Tests only: allow maxReceiveCount below 5 (the ratio rule still applies). */
  allowLowMaxReceiveCount?: boolean;
}

/** The production floor for maxReceiveCount: throttled polls count as receives too. */
export const MIN_MAX_RECEIVE_COUNT = 5;
/** SQS's longest retention, used for every DLQ so dead messages outlive their source. */
export const DLQ_RETENTION_SECONDS = 1_209_600;

/**
 * docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached: a message can be received at most retention / visibility times before SQS drops it,
 * so maxReceiveCount must be below that or the DLQ is never reached; and it must be at least 5,
 * since throttled polls count as receives. Throws ConfigError naming the numbers.
 */
export function validateRedriveSettings(settings: RedriveSettings): void {
  const { maxReceiveCount, visibilityTimeoutSeconds, retentionSeconds } = settings;
  const problems: string[] = [];
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
    problems.push(`maxReceiveCount ${maxReceiveCount} must be a positive integer`);
  } else if (maxReceiveCount < MIN_MAX_RECEIVE_COUNT && !settings.allowLowMaxReceiveCount) {
    problems.push(
      `maxReceiveCount ${maxReceiveCount} is below ${MIN_MAX_RECEIVE_COUNT}: throttled polls count as receives`,
    );
  }
  if (!(visibilityTimeoutSeconds > 0)) {
    problems.push(`visibilityTimeoutSeconds ${visibilityTimeoutSeconds} must be positive`);
  } else if (!(retentionSeconds / visibilityTimeoutSeconds > maxReceiveCount)) {
    const reachable = Math.floor(retentionSeconds / visibilityTimeoutSeconds);
    problems.push(
      `retention ${retentionSeconds}s / visibility ${visibilityTimeoutSeconds}s allows at most ${reachable} receives, not more than maxReceiveCount ${maxReceiveCount}: the DLQ would never be reached`,
    );
  }
  if (problems.length > 0) throw new ConfigError(`redrive policy is invalid: ${problems.join('; ')}`);
}

export interface QueueWithDlq {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

/**
 * Creates `<name>-dlq` and `<name>` with a RedrivePolicy to it, after validating the settings.
 * Used by tests and the local-on-emulator runtime; infra declares the same shape in Pulumi.
 */
export async function createQueueWithDlq(
  client: SQSClient,
  name: string,
  settings: RedriveSettings,
): Promise<QueueWithDlq> {
  validateRedriveSettings(settings);
  try {
    const dlq = await client.send(
      new CreateQueueCommand({
        QueueName: `${name}-dlq`,
        Attributes: { MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS) },
      }),
    );
    const dlqUrl = dlq.QueueUrl!;
    const dlqArn = await queueArn(client, dlqUrl);
    const main = await client.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(settings.retentionSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxReceiveCount }),
        },
      }),
    );
    const queueUrl = main.QueueUrl!;
    return { queueUrl, queueArn: await queueArn(client, queueUrl), dlqUrl, dlqArn };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw mapAwsError('sqs', `creating queue ${name} with its DLQ`, error);
  }
}

async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const out = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new ConfigError(`queue ${queueUrl} has no QueueArn attribute`);
  return arn;
}
