import type { ContainerModule } from 'inversify';
import type { ReceiptsReadConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import type { AwsClientSettings } from './clients.js';
import { bindReceiptCatalog } from './common-bindings.js';
import { receiptsApiModule } from './receipts-api-module.js';
import { vectorIndexFor } from './vector-index.js';

/**
 * receipts-read: the job table and the catalog over its listing GSIs (receipts, merchants, one receipt), the raw
 * bucket to sign image URLs for (no object is read: signing is local), and the vector index for
 * `…/similar`, read-only (Chroma; or followers of the index files in efs and s3 mode, on the raw
 * bucket's S3 client).
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
  return receiptsApiModule(config, clients, 'receipts-read', (options, { doc, s3Client }) => {
    bindReceiptCatalog(options, doc, config.TABLE_NAME);
    options
      .bind(TOKENS.VectorIndex)
      .toDynamicValue(() => vectorIndexFor(config, 'reader', s3Client))
      .inSingletonScope();
  });
}
