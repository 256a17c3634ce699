import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.js';
import type { FunctionName } from './function-specs.js';
import { METRICS_NAMESPACE } from './lambdas.js';
import type { FunctionPlan } from './plan.js';
import type { Queues } from './queues.js';

/**
 * The functions whose handlers count EMF `Failures`: the upload API, the queue consumers and
 * the stream processor. The authorizer (a deny is not a failure) and the scheduled sweep write
 * none; their crashes show in `Errors`.
 */
const WRITES_FAILURES: readonly string[] = ['http', 'sqs', 'dynamodb-stream'];

/** Every alarm looks at 5-minute periods, one period at a time. */
const PERIOD_SECONDS = 300;

interface AlarmSpec {
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  statistic: 'Maximum' | 'Sum';
  /** Alarms when the statistic is greater than this. */
  threshold: number;
  description: string;
}

/**
 * CloudWatch alarms:
 * - any message in a DLQ (each work queue's and the stream processor's failure queue);
 * - a work queue whose oldest message is older than `oldestMessageAgeAlarmSeconds`;
 * - per function that writes EMF `Failures` (the HTTP, queue and stream handlers: messages,
 *   records or requests not finished), `failureAlarmThreshold` or more in 5 minutes;
 * - per function, any invocation error (AWS/Lambda `Errors`: a crash or a timeout, which
 *   flushes no EMF and so never shows in `Failures`);
 * - any compaction run abandoned after its last allowed attempt (EMF `RunsAbandoned`): no
 *   retry or sweep will touch it again, so one is enough to call someone.
 * With `alarmEmail`, alarms notify an SNS topic with that subscriber.
 */
export function createAlarms(
  ctx: StackContext,
  queues: Queues,
  functions: Partial<Record<FunctionName, aws.lambda.Function>>,
  plans: Record<FunctionName, FunctionPlan>,
): aws.cloudwatch.MetricAlarm[] {
  const { cfg } = ctx;
  let actions: pulumi.Input<string>[] = [];
  if (cfg.alarmEmail) {
    const topic = new aws.sns.Topic('alarms-topic', { name: `${ctx.prefix}-alarms`, tags: ctx.tags });
    new aws.sns.TopicSubscription('alarms-email', { topic: topic.arn, protocol: 'email', endpoint: cfg.alarmEmail });
    actions = [topic.arn];
  }
  const alarm = (logical: string, spec: AlarmSpec) =>
    new aws.cloudwatch.MetricAlarm(logical, {
      name: `${ctx.prefix}-${logical}`,
      alarmDescription: spec.description,
      namespace: spec.namespace,
      metricName: spec.metricName,
      dimensions: spec.dimensions,
      statistic: spec.statistic,
      period: PERIOD_SECONDS,
      evaluationPeriods: 1,
      threshold: spec.threshold,
      comparisonOperator: 'GreaterThanThreshold',
      // No data is no traffic: a quiet queue or an idle function is healthy.
      treatMissingData: 'notBreaching',
      alarmActions: actions,
      okActions: actions,
      tags: ctx.tags,
    });
  const queueAlarm = (
    logical: string,
    queue: aws.sqs.Queue,
    metricName: string,
    threshold: number,
    description: string,
  ) =>
    alarm(logical, {
      namespace: 'AWS/SQS',
      metricName,
      dimensions: { QueueName: queue.name },
      statistic: 'Maximum',
      threshold,
      description,
    });

  const alarms: aws.cloudwatch.MetricAlarm[] = [];
  for (const pair of Object.values(queues.byKey)) {
    const base = pair.plan.baseName;
    alarms.push(
      queueAlarm(
        `${base}-dlq-depth`,
        pair.dlq,
        'ApproximateNumberOfMessagesVisible',
        0,
        `Messages reached the DLQ of ${base}`,
      ),
      queueAlarm(
        `${base}-oldest-age`,
        pair.queue,
        'ApproximateAgeOfOldestMessage',
        cfg.oldestMessageAgeAlarmSeconds,
        `The oldest message in ${base} is older than ${cfg.oldestMessageAgeAlarmSeconds} s`,
      ),
    );
  }
  alarms.push(
    queueAlarm(
      'stream-processor-dlq-depth',
      queues.streamDlq,
      'ApproximateNumberOfMessagesVisible',
      0,
      'Stream records failed past their retries',
    ),
  );

  for (const [fn, f] of Object.entries(functions) as [FunctionName, aws.lambda.Function][]) {
    if (WRITES_FAILURES.includes(plans[fn].trigger.kind)) {
      alarms.push(
        alarm(`${fn}-failures`, {
          namespace: METRICS_NAMESPACE,
          metricName: 'Failures',
          dimensions: { Function: f.name },
          statistic: 'Sum',
          // "At least N" as "more than N - 1": failures are whole numbers.
          threshold: cfg.failureAlarmThreshold - 1,
          description: `${fn}: ${cfg.failureAlarmThreshold} or more messages, records or requests failed in 5 minutes (EMF Failures)`,
        }),
      );
    }
    if (fn === 'compaction') {
      alarms.push(
        alarm('compaction-runs-abandoned', {
          namespace: METRICS_NAMESPACE,
          metricName: 'RunsAbandoned',
          dimensions: { Function: f.name },
          statistic: 'Sum',
          threshold: 0,
          description:
            'A compaction run was abandoned after its last allowed attempt: nothing retries it (docs/operations.md#a-compaction-run-abandoned)',
        }),
      );
    }
    alarms.push(
      alarm(`${fn}-errors`, {
        namespace: 'AWS/Lambda',
        metricName: 'Errors',
        dimensions: { FunctionName: f.name },
        statistic: 'Sum',
        threshold: 0,
        description: `${fn}: invocations crashed or timed out`,
      }),
    );
  }
  return alarms;
}
