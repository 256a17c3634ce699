import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { ContainerModule } from 'inversify';
import type { ReceiptsChangeConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import { settingsFrom, type AwsClientSettings } from './clients.js';
import { bindCommon } from './common-bindings.js';
import { lazyS3Client } from './s3-client.js';

/**
 * receipts-change: the job table (corrections, tombstones, deletes), the raw bucket (the PATCH
 * answer's signed image URL; an image's bytes go with its last receipt) and the artifacts
 * bucket (its OCR JSON goes too). No vector index: a merchant correction or a delete reaches the
 * vectors through the stream processor and compaction, the path every row change takes.
 * `clients.instrument` sees each SDK client it builds (the IAM test records their calls).
 *
 * @example
 * const container = new Container();
 * container.load(awsReceiptsChangeModule(parseConfig(ReceiptsChangeConfigSchema, process.env, 'receipts-change')));
 */
export function awsReceiptsChangeModule(
  config: ReceiptsChangeConfig,
  clients: Pick<AwsClientSettings, 'instrument'> = {},
): ContainerModule {
  const settings = { ...settingsFrom(config), ...clients };
  return new ContainerModule((options) => {
    bindCommon(options, settings, config, 'receipts-change');
    const s3Client = lazyS3Client(settings);
    options
      .bind(TOKENS.RawImages)
      .toDynamicValue(() => new S3ImageStore(s3Client(), { bucket: config.RAW_BUCKET }))
      .inSingletonScope();
    options
      .bind(TOKENS.Artifacts)
      .toDynamicValue(() => new S3ImageStore(s3Client(), { bucket: config.ARTIFACTS_BUCKET }))
      .inSingletonScope();
  });
}
