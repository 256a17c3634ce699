import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import { ContainerModule } from 'inversify';
import type { StreamProcessorConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import { settingsFrom, sqsClientConfig } from './clients.js';
import { bindTelemetry } from './common-bindings.js';

/** The stream processor only sends to the compaction queue; it never reads the table. */
export function awsStreamProcessorModule(config: StreamProcessorConfig): ContainerModule {
  const settings = settingsFrom(config);
  return new ContainerModule((options) => {
    bindTelemetry(options, config, 'stream-processor');
    options
      .bind(TOKENS.CompactionQueue)
      .toDynamicValue(
        () => new SqsQueue(new SQSClient(sqsClientConfig(settings)), { queueUrl: config.COMPACTION_QUEUE_URL }),
      )
      .inSingletonScope();
  });
}
