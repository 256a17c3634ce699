import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDeadLetterQueue, SqsQueue } from '@receiptflow/adapters-aws/sqs';
import type { PipelineQueueName, PipelineQueue } from '@receiptflow/core';
import { ContainerModule } from 'inversify';
import type { PipelineConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import { instrumented, settingsFrom, sqsClientConfig, type AwsClientSettings } from './clients.js';
import { bindCommon } from './common-bindings.js';

/**
 * pipeline (the operator routes): the job table (job counts and unfinished runs through GSI1, the
 * job or run a dead letter names), each work queue as a gauge and a redrive target, and its DLQ
 * (depth, listing, redrive), all on one SQS client built on first use. The operators are the
 * owners OPERATOR_OWNERS names (none by default: every caller gets 403).
 * `clients.instrument` sees each SDK client it builds (the IAM test records their calls).
 *
 * @example
 * const container = new Container();
 * container.load(awsPipelineModule(parseConfig(PipelineConfigSchema, process.env, 'pipeline')));
 */
export function awsPipelineModule(
  config: PipelineConfig,
  clients: Pick<AwsClientSettings, 'instrument'> = {},
): ContainerModule {
  const settings = { ...settingsFrom(config), ...clients };
  return new ContainerModule((options) => {
    bindCommon(options, settings, config, 'pipeline');
    options.bind(TOKENS.Operators).toConstantValue(config.OPERATOR_OWNERS);
    const urls: Record<PipelineQueueName, { queue: string; dlq: string }> = {
      ocr: { queue: config.OCR_JOB_QUEUE_URL, dlq: config.OCR_DLQ_URL },
      'ocr-results': { queue: config.OCR_RESULTS_QUEUE_URL, dlq: config.OCR_RESULTS_DLQ_URL },
      compaction: { queue: config.COMPACTION_QUEUE_URL, dlq: config.COMPACTION_DLQ_URL },
    };
    options
      .bind(TOKENS.PipelineQueues)
      .toDynamicValue(() => {
        const sqs = instrumented(new SQSClient(sqsClientConfig(settings)), settings);
        const pair = (name: PipelineQueueName): PipelineQueue => ({
          queue: new SqsQueue(sqs, { queueUrl: urls[name].queue }),
          deadLetters: new SqsDeadLetterQueue(sqs, { dlqUrl: urls[name].dlq, sourceUrl: urls[name].queue }),
        });
        return { ocr: pair('ocr'), 'ocr-results': pair('ocr-results'), compaction: pair('compaction') };
      })
      .inSingletonScope();
  });
}
