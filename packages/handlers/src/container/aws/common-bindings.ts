import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbJobStore } from '@receiptflow/adapters-aws/dynamodb';
import type { ContainerModuleLoadOptions } from 'inversify';
import { createLogger, type LogLevel } from '../../logging.js';
import { TOKENS } from '../tokens.js';
import { clientConfig, type AwsClientSettings } from './clients.js';
import { SystemClock } from './system-clock.js';

/** Bindings every function shares: logger, clock, and the job table. */
export function bindCommon(
  { bind }: Pick<ContainerModuleLoadOptions, 'bind'>,
  settings: AwsClientSettings,
  config: { TABLE_NAME: string; LOG_LEVEL: LogLevel },
  fn: string,
): () => DynamoDBDocumentClient {
  let doc: DynamoDBDocumentClient | undefined;
  const documentClient = () =>
    (doc ??= DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(settings)), {
      marshallOptions: { removeUndefinedValues: true },
    }));
  bind(TOKENS.Logger).toConstantValue(createLogger({ level: config.LOG_LEVEL, format: 'json', base: { fn }, write: (l) => console.log(l) }));
  bind(TOKENS.Clock).toConstantValue(new SystemClock());
  bind(TOKENS.JobStore)
    .toDynamicValue((ctx) => new DynamoDbJobStore(documentClient(), { tableName: config.TABLE_NAME, clock: ctx.get(TOKENS.Clock) }))
    .inSingletonScope();
  return documentClient;
}
