import { S3ExportArtifacts } from '@receiptflow/adapters-aws/s3';
import { randomUUID } from 'node:crypto';
import { ContainerModule } from 'inversify';
import type { ReceiptsExportConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import { settingsFrom, type AwsClientSettings } from './clients.js';
import { bindCommon, bindReceiptCatalog } from './common-bindings.js';
import { lazyS3Client } from './s3-client.js';

/**
 * receipts-export: the receipt catalog over the table's listing GSIs (read page by page as the
 * export is written), and the export bucket (`EXPORT_BUCKET`) that the export is streamed to
 * under `exports/<owner>/<uuid>.<ext>` and presigned from; the ids name those objects. No VPC
 * resource, no vector index, no other bucket. `clients.instrument` sees each SDK client it
 * builds (the IAM test records their calls).
 *
 * @example
 * const container = new Container();
 * container.load(awsReceiptsExportModule(parseConfig(ReceiptsExportConfigSchema, process.env, 'receipts-export')));
 */
export function awsReceiptsExportModule(
  config: ReceiptsExportConfig,
  clients: Pick<AwsClientSettings, 'instrument'> = {},
): ContainerModule {
  const settings = { ...settingsFrom(config), ...clients };
  return new ContainerModule((options) => {
    const doc = bindCommon(options, settings, config, 'receipts-export');
    bindReceiptCatalog(options, doc, config.TABLE_NAME);
    options.bind(TOKENS.Ids).toConstantValue({ newId: () => randomUUID() });
    const s3Client = lazyS3Client(settings);
    options
      .bind(TOKENS.ExportArtifacts)
      .toDynamicValue(() => new S3ExportArtifacts(s3Client(), { bucket: config.EXPORT_BUCKET }))
      .inSingletonScope();
  });
}
