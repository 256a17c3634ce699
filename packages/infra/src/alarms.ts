import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.js';
import type { Queues } from './queues.js';

/**
 * CloudWatch alarms: any message in a DLQ (including the stream processor's failure queue),
 * and a work queue whose oldest message is older than `oldestMessageAgeAlarmSeconds`. With
 * `alarmEmail`, alarms notify an SNS topic with that subscriber.
 */
export function createAlarms(ctx: StackContext, queues: Queues): aws.cloudwatch.MetricAlarm[] {
  const { cfg } = ctx;
  let actions: pulumi.Input<string>[] = [];
  if (cfg.alarmEmail) {
    const topic = new aws.sns.Topic('alarms-topic', { name: `${ctx.prefix}-alarms`, tags: ctx.tags });
    new aws.sns.TopicSubscription('alarms-email', { topic: topic.arn, protocol: 'email', endpoint: cfg.alarmEmail });
    actions = [topic.arn];
  }
  const alarm = (logical: string, queue: aws.sqs.Queue, metric: string, threshold: number, description: string) =>
    new aws.cloudwatch.MetricAlarm(logical, {
      name: `${ctx.prefix}-${logical}`,
      alarmDescription: description,
      namespace: 'AWS/SQS',
      metricName: metric,
      dimensions: { QueueName: queue.name },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: actions,
      okActions: actions,
      tags: ctx.tags,
    });

  const alarms: aws.cloudwatch.MetricAlarm[] = [];
  for (const pair of Object.values(queues.byKey)) {
    const base = pair.plan.baseName;
    alarms.push(
      alarm(`${base}-dlq-depth`, pair.dlq, 'ApproximateNumberOfMessagesVisible', 0, `Messages reached the DLQ of ${base}`),
      alarm(
        `${base}-oldest-age`,
        pair.queue,
        'ApproximateAgeOfOldestMessage',
        cfg.oldestMessageAgeAlarmSeconds,
        `The oldest message in ${base} is older than ${cfg.oldestMessageAgeAlarmSeconds} s`,
      ),
    );
  }
  alarms.push(
    alarm('stream-processor-dlq-depth', queues.streamDlq, 'ApproximateNumberOfMessagesVisible', 0, 'Stream records failed past their retries'),
  );
  return alarms;
}
