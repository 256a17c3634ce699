import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DynamoDbCompactionRunStore,
  DynamoDbOcrJobStore,
  DynamoDbReceiptCatalog,
  DynamoDbReceiptStore,
} from '@receiptflow/adapters-aws/dynamodb';
import type { ContainerModuleLoadOptions } from 'inversify';
import { createLogger, type LogLevel } from '../../logging.js';
import { EmfMetrics } from '../../metrics/emf-metrics.js';
import { TOKENS } from '../tokens.js';
import { clientConfig, instrumented, type AwsClientSettings } from './clients.js';
import { SystemClock } from '@receiptflow/adapters-local/clock';

/** The variables of the Common schema that the shared bindings read. */
export interface CommonConfig {
  LOG_LEVEL: LogLevel;
  METRICS_NAMESPACE: string;
  AWS_LAMBDA_FUNCTION_NAME?: string | undefined;
  MAX_RECEIVE_COUNT?: number | undefined;
}

/** Logger, EMF metrics and the redrive limit: what every function binds, table or not. */
export function bindTelemetry(
  { bind }: Pick<ContainerModuleLoadOptions, 'bind'>,
  config: CommonConfig,
  fn: string,
): void {
  bind(TOKENS.Logger).toConstantValue(
    createLogger({ level: config.LOG_LEVEL, format: 'json', base: { fn }, write: (l) => console.log(l) }),
  );
  // EMF goes to stdout as it is: console.log under the JSON log format would wrap it.
  const metrics = new EmfMetrics({
    namespace: config.METRICS_NAMESPACE,
    functionName: config.AWS_LAMBDA_FUNCTION_NAME ?? fn,
    write: (line) => process.stdout.write(`${line}\n`),
  });
  bind(TOKENS.Metrics).toConstantValue(() => metrics);
  if (config.MAX_RECEIVE_COUNT !== undefined) bind(TOKENS.MaxReceiveCount).toConstantValue(config.MAX_RECEIVE_COUNT);
}

/**
 * Bindings every function with a table shares: telemetry, clock, and the job table's three stores
 * (bound lazily, so a function builds only the stores its handler asks for). Returns the shared
 * document client, for the function's other table adapters. `settings.instrument` sees the
 * DynamoDB client (the IAM test records its calls).
 */
export function bindCommon(
  options: Pick<ContainerModuleLoadOptions, 'bind'>,
  settings: AwsClientSettings,
  config: CommonConfig & { TABLE_NAME: string },
  fn: string,
): () => DynamoDBDocumentClient {
  const { bind } = options;
  let doc: DynamoDBDocumentClient | undefined;
  const documentClient = () =>
    (doc ??= DynamoDBDocumentClient.from(instrumented(new DynamoDBClient(clientConfig(settings)), settings), {
      marshallOptions: { removeUndefinedValues: true },
    }));
  bindTelemetry(options, config, fn);
  bind(TOKENS.Clock).toConstantValue(new SystemClock());
  bind(TOKENS.OcrJobs)
    .toDynamicValue(
      (ctx) =>
        new DynamoDbOcrJobStore(documentClient(), { tableName: config.TABLE_NAME, clock: ctx.get(TOKENS.Clock) }),
    )
    .inSingletonScope();
  bind(TOKENS.Receipts)
    .toDynamicValue(
      (ctx) =>
        new DynamoDbReceiptStore(documentClient(), { tableName: config.TABLE_NAME, clock: ctx.get(TOKENS.Clock) }),
    )
    .inSingletonScope();
  bind(TOKENS.CompactionRuns)
    .toDynamicValue(
      (ctx) =>
        new DynamoDbCompactionRunStore(documentClient(), {
          tableName: config.TABLE_NAME,
          clock: ctx.get(TOKENS.Clock),
        }),
    )
    .inSingletonScope();
  return documentClient;
}

/**
 * The receipt catalog over the table's listing GSIs (GSI3-5), on the function's shared document
 * client: the read side's functions (receipts-read, receipts-export) list through it.
 *
 * @example
 * const doc = bindCommon(options, settings, config, 'receipts-export');
 * bindReceiptCatalog(options, doc, config.TABLE_NAME);
 */
export function bindReceiptCatalog(
  options: Pick<ContainerModuleLoadOptions, 'bind'>,
  doc: () => DynamoDBDocumentClient,
  tableName: string,
): void {
  options
    .bind(TOKENS.ReceiptCatalog)
    .toDynamicValue((ctx) => new DynamoDbReceiptCatalog(doc(), { tableName, clock: ctx.get(TOKENS.Clock) }))
    .inSingletonScope();
}
