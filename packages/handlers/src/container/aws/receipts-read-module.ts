import type { ContainerModule } from 'inversify';
import type { ReceiptsReadConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import type { AwsClientSettings } from './clients.js';
import { bindReceiptCatalog } from './common-bindings.js';
import { receiptsApiModule } from './receipts-api-module.js';
import type { VectorStorageFactory } from './vector-storage.js';

/**
 * receipts-read: the job table and the catalog over its listing GSIs (receipts, merchants, one receipt), the raw
 * bucket to sign image URLs for (no object is read: signing is local), and the vector index for
 * `…/similar`, read-only (Chroma; or followers of the index files in efs and s3 mode, on the raw
 * bucket's S3 client), built by `vectorStorageFor`: the Lambda passes
 * `await loadVectorStorage(config.VECTOR_STORAGE_MODE)`, so only its mode's code is loaded.
 * `clients.instrument` sees each SDK client it builds (the IAM test records their calls).
 *
 * @example
 * const container = new Container();
 * const config = parseConfig(ReceiptsReadConfigSchema, process.env, 'receipts-read');
 * container.load(awsReceiptsReadModule(config, await loadVectorStorage(config.VECTOR_STORAGE_MODE)));
 */
export function awsReceiptsReadModule(
  config: ReceiptsReadConfig,
  vectorStorageFor: VectorStorageFactory,
  clients: Pick<AwsClientSettings, 'instrument'> = {},
): ContainerModule {
  return receiptsApiModule(config, clients, 'receipts-read', (options, { doc, s3Client }) => {
    bindReceiptCatalog(options, doc, config.TABLE_NAME);
    options
      .bind(TOKENS.VectorIndex)
      .toDynamicValue(() => vectorStorageFor(config, 'reader', s3Client).vectors)
      .inSingletonScope();
  });
}
