import type { SQSClient } from '@aws-sdk/client-sqs';
import { ValidationError } from '@receiptflow/core';

/** The parts of an SQS queue ARN: `arn:<partition>:sqs:<region>:<account>:<name>`. */
export interface SqsQueueArn {
  partition: string;
  region: string;
  accountId: string;
  name: string;
}

// Partitions are `aws`, `aws-cn`, `aws-us-gov`, `aws-iso*`, ...; queue names are 1–80 of
// [A-Za-z0-9_-], a FIFO queue's ending in `.fifo`.
const QUEUE_ARN =
  /^arn:(aws(?:-[a-z]+)*):sqs:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/;

/**
 * Splits an SQS queue ARN, such as a Lambda record's `eventSourceARN`; ValidationError when it
 * is not one.
 *
 * @example
 * parseSqsQueueArn('arn:aws:sqs:eu-west-1:123456789012:jobs');
 * // { partition: 'aws', region: 'eu-west-1', accountId: '123456789012', name: 'jobs' }
 */
export function parseSqsQueueArn(arn: string): SqsQueueArn {
  const match = QUEUE_ARN.exec(arn);
  if (!match) throw new ValidationError(`not an SQS queue ARN: ${JSON.stringify(arn.slice(0, 200))}`);
  const [, partition, region, accountId, name] = match as unknown as [string, string, string, string, string];
  return { partition, region, accountId, name };
}

/**
 * The URL of the queue an ARN names, as `client` would address it: `<endpoint>/<account>/<name>`,
 * where the endpoint is the client's own. A client built with a custom endpoint (an emulator,
 * LocalStack) uses that one, which is how those name the queues created through it; otherwise
 * the SDK's endpoint rules for the ARN's region decide, so partitions come out right
 * (`sqs.cn-north-1.amazonaws.com.cn`, `sqs.us-gov-west-1.amazonaws.com`) and FIPS or
 * dual-stack clients get their hosts. The SQS client sends a QueueUrl whose host differs from
 * its endpoint to that host instead; a URL built from the same rules never differs.
 *
 * @example
 * await sqsQueueUrlOf(new SQSClient({ region: 'eu-west-1' }), parseSqsQueueArn('arn:aws:sqs:eu-west-1:123456789012:jobs'));
 * // 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs'
 */
export async function sqsQueueUrlOf(client: Pick<SQSClient, 'config'>, arn: SqsQueueArn): Promise<string> {
  const config = client.config;
  let base: string;
  if (config.isCustomEndpoint && config.endpoint) {
    const e = await config.endpoint();
    base = `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path ?? ''}`;
  } else {
    const resolved = config.endpointProvider({
      Region: arn.region,
      UseFIPS: await config.useFipsEndpoint(),
      UseDualStack: await config.useDualstackEndpoint(),
    });
    base = resolved.url.href;
  }
  return `${base.replace(/\/+$/, '')}/${arn.accountId}/${arn.name}`;
}
