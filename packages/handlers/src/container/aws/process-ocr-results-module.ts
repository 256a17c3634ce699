import { S3Client } from '@aws-sdk/client-s3';
import { OpenAiEmbedder, OpenAiEmbeddingsClient } from '@receiptflow/adapters-aws/openai';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { ContainerModule } from 'inversify';
import type { ProcessOcrResultsConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import { clientConfig, settingsFrom } from './clients.js';
import { bindCommon } from './common-bindings.js';
import { queueEventSources } from './event-sources.js';
import { OPENAI_CALL_LIMITS, PLACES_CALL_LIMITS } from './external-call-limits.js';
import { cachedGooglePlaces } from './places-resolver.js';
import type { VectorStorageFactory } from './vector-storage.js';

/**
 * process-OCR-results: table, artifacts + vectors buckets, OpenAI, the vector index (query: Chroma,
 * or followers of the index files in efs and s3 mode, built by `vectorStorageFor`: the Lambda
 * passes `await loadVectorStorage(config.VECTOR_STORAGE_MODE)`), Places, its own queue (short retries).
 *
 * @example
 * const config = parseConfig(ProcessOcrResultsConfigSchema, process.env, 'process-ocr-results');
 * container.load(awsProcessOcrResultsModule(config, await loadVectorStorage(config.VECTOR_STORAGE_MODE)));
 */
export function awsProcessOcrResultsModule(
  config: ProcessOcrResultsConfig,
  vectorStorageFor: VectorStorageFactory,
): ContainerModule {
  const settings = settingsFrom(config);
  return new ContainerModule((options) => {
    const doc = bindCommon(options, settings, config, 'process-ocr-results');
    // Its records' own queue, for a short retry: through the NAT instance from the VPC, failing fast.
    options.bind(TOKENS.EventSources).toConstantValue(queueEventSources(settings));
    let s3: S3Client | undefined;
    const s3Client = () =>
      (s3 ??= new S3Client({ ...clientConfig(settings), forcePathStyle: Boolean(settings.endpoint) }));
    // One client for both buckets (and the index files in s3 mode); each store is built on first use.
    const storeOf = (bucket: string) => () => new S3ImageStore(s3Client(), { bucket });
    options.bind(TOKENS.Artifacts).toDynamicValue(storeOf(config.ARTIFACTS_BUCKET)).inSingletonScope();
    options.bind(TOKENS.Deltas).toDynamicValue(storeOf(config.VECTORS_BUCKET)).inSingletonScope();
    options
      .bind(TOKENS.Embedder)
      .toDynamicValue(
        (ctx) =>
          new OpenAiEmbedder(
            new OpenAiEmbeddingsClient({
              apiKey: config.OPENAI_API_KEY,
              ...(config.OPENAI_BASE_URL ? { baseURL: config.OPENAI_BASE_URL } : {}),
            }),
            {
              model: config.EMBEDDING_MODEL,
              dimensions: config.EMBEDDING_DIMENSIONS,
              clock: ctx.get(TOKENS.Clock),
              ...OPENAI_CALL_LIMITS,
            },
          ),
      )
      .inSingletonScope();
    options
      .bind(TOKENS.VectorIndex)
      .toDynamicValue(() => vectorStorageFor(config, 'reader', s3Client).vectors)
      .inSingletonScope();
    options
      .bind(TOKENS.Places)
      .toDynamicValue((ctx) => cachedGooglePlaces(config, doc(), ctx.get(TOKENS.Clock), PLACES_CALL_LIMITS))
      .inSingletonScope();
  });
}
