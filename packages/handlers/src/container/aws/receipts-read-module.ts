import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { ContainerModule } from 'inversify';
import type { ReceiptsReadConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import { settingsFrom, type AwsClientSettings } from './clients.js';
import { bindCommon, bindReceiptCatalog } from './common-bindings.js';
import { lazyS3Client } from './s3-client.js';
import { vectorIndexFor } from './vector-index.js';

/**
 * receipts-read: the job table and the catalog over its listing GSIs (receipts, merchants, one receipt), the raw
 * bucket to sign image URLs for (no object is read: signing is local), and the vector index for
 * `…/similar`, read-only (Chroma; or followers of the index files in efs and s3 mode).
 * `clients.instrument` sees each SDK client it builds (the IAM test records their calls).
 *
 * @example
 * const container = new Container();
 * container.load(awsReceiptsReadModule(parseConfig(ReceiptsReadConfigSchema, process.env, 'receipts-read')));
 */
export function awsReceiptsReadModule(
  config: ReceiptsReadConfig,
  clients: Pick<AwsClientSettings, 'instrument'> = {},
): ContainerModule {
  const settings = { ...settingsFrom(config), ...clients };
  return new ContainerModule((options) => {
    const doc = bindCommon(options, settings, config, 'receipts-read');
    bindReceiptCatalog(options, doc, config.TABLE_NAME);
    // One client for the raw bucket and, in s3 mode, the index files; built on first use.
    const s3Client = lazyS3Client(settings);
    options
      .bind(TOKENS.RawImages)
      .toDynamicValue(() => new S3ImageStore(s3Client(), { bucket: config.RAW_BUCKET }))
      .inSingletonScope();
    options
      .bind(TOKENS.VectorIndex)
      .toDynamicValue(() => vectorIndexFor(config, 'reader', s3Client))
      .inSingletonScope();
  });
}
