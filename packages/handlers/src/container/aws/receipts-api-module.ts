import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { ContainerModule, type ContainerModuleLoadOptions } from 'inversify';
import { TOKENS } from '../tokens.js';
import { settingsFrom, type AwsClientSettings } from './clients.js';
import { bindCommon, type CommonConfig } from './common-bindings.js';
import { lazyS3Client } from './s3-client.js';

/** What a receipts API function's own bindings build on: the shared document client and S3 client. */
export interface ReceiptsApiClients {
  doc: () => DynamoDBDocumentClient;
  s3Client: () => S3Client;
}

/**
 * The container module of a receipts API function that reads or changes receipts in place
 * (receipts-read, receipts-change): the job table's shared bindings, and the raw bucket (the
 * signed image URLs its answers carry) on one S3 client built on first use; `bindOwn` adds the
 * function's own bindings on the same clients. `clients.instrument` sees each SDK client it
 * builds (the IAM test records their calls).
 *
 * @example
 * return receiptsApiModule(config, clients, 'receipts-change', (options, { s3Client }) => {
 *   options.bind(TOKENS.Artifacts).toDynamicValue(() => new S3ImageStore(s3Client(), { bucket: config.ARTIFACTS_BUCKET }));
 * });
 */
export function receiptsApiModule(
  config: CommonConfig & {
    AWS_REGION: string;
    AWS_ENDPOINT_URL?: string | undefined;
    TABLE_NAME: string;
    RAW_BUCKET: string;
  },
  clients: Pick<AwsClientSettings, 'instrument'>,
  fn: string,
  bindOwn: (options: ContainerModuleLoadOptions, shared: ReceiptsApiClients) => void,
): ContainerModule {
  const settings = { ...settingsFrom(config), ...clients };
  return new ContainerModule((options) => {
    const doc = bindCommon(options, settings, config, fn);
    // One client for the raw bucket and the function's other S3 objects; built on first use.
    const s3Client = lazyS3Client(settings);
    options
      .bind(TOKENS.RawImages)
      .toDynamicValue(() => new S3ImageStore(s3Client(), { bucket: config.RAW_BUCKET }))
      .inSingletonScope();
    bindOwn(options, { doc, s3Client });
  });
}
