import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import { ContainerModule } from 'inversify';
import type { StreamProcessorConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import { instrumented, settingsFrom, sqsClientConfig, type AwsClientSettings } from './clients.js';
import { bindTelemetry } from './common-bindings.js';

/**
 * The stream processor only sends to the compaction queue; it never reads the table.
 * `clients.instrument` sees each SDK client it builds (tests record the calls with it).
 */
export function awsStreamProcessorModule(
  config: StreamProcessorConfig,
  clients: Pick<AwsClientSettings, 'instrument'> = {},
): ContainerModule {
  const settings = { ...settingsFrom(config), ...clients };
  return new ContainerModule((options) => {
    bindTelemetry(options, config, 'stream-processor');
    options
      .bind(TOKENS.CompactionQueue)
      .toDynamicValue(
        () =>
          new SqsQueue(instrumented(new SQSClient(sqsClientConfig(settings)), settings), {
            queueUrl: config.COMPACTION_QUEUE_URL,
          }),
      )
      .inSingletonScope();
  });
}
