import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import type { ContainerModule } from 'inversify';
import type { ReceiptsChangeConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import type { AwsClientSettings } from './clients.js';
import { bindReceiptCatalog } from './common-bindings.js';
import { PLACES_SEARCH_CALL_LIMITS } from './external-call-limits.js';
import { cachedGooglePlaces } from './places-resolver.js';
import { receiptsApiModule } from './receipts-api-module.js';

/**
 * receipts-change: the job table (corrections, tombstones, deletes), the raw bucket (the PATCH
 * answer's signed image URL; an image's bytes go with its last receipt) and the artifacts
 * bucket (its OCR JSON goes too). `GET /places` reads the owner's merchants (the catalog, GSI5)
 * and Google Places through the same table cache process-OCR-results uses. No vector index: a
 * merchant correction or a delete reaches the vectors through the stream processor and
 * compaction, the path every row change takes.
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
  return receiptsApiModule(config, clients, 'receipts-change', (options, { doc, s3Client }) => {
    bindReceiptCatalog(options, doc, config.TABLE_NAME);
    options
      .bind(TOKENS.Places)
      .toDynamicValue((ctx) => cachedGooglePlaces(config, doc(), ctx.get(TOKENS.Clock), PLACES_SEARCH_CALL_LIMITS))
      .inSingletonScope();
    options
      .bind(TOKENS.Artifacts)
      .toDynamicValue(() => new S3ImageStore(s3Client(), { bucket: config.ARTIFACTS_BUCKET }))
      .inSingletonScope();
  });
}
