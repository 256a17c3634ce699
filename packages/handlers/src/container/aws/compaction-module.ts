import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbCompactionLock, DynamoDbSnapshotStore } from '@receiptflow/adapters-aws/dynamodb';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { ContainerModule } from 'inversify';
import type { CompactionConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import type { VectorStorage, VectorStorageFactory } from './vector-storage.js';
import { clientConfig, settingsFrom } from './clients.js';
import { bindCommon } from './common-bindings.js';
import { queueEventSources } from './event-sources.js';

/**
 * Compaction: table (runs, lock, snapshot pointer), vectors bucket (deltas; server mode: the
 * Chroma snapshot files under `snapshots/`), the vector index
 * (writes): Chroma, or in efs and s3 mode the fenced writers, whose lock hands them each lease's token;
 * its own queue, for the short retry of a message that met a busy lock. `vectorStorageFor` builds
 * the index: the Lambda passes `await loadVectorStorage(config.VECTOR_STORAGE_MODE)`, so only its
 * mode's code is loaded.
 *
 * @example
 * const config = parseConfig(CompactionConfigSchema, process.env, 'compaction');
 * container.load(awsCompactionModule(config, await loadVectorStorage(config.VECTOR_STORAGE_MODE)));
 */
export function awsCompactionModule(config: CompactionConfig, vectorStorageFor: VectorStorageFactory): ContainerModule {
  const settings = settingsFrom(config);
  return new ContainerModule((options) => {
    const doc = bindCommon(options, settings, config, 'compaction');
    // Its records' own queue, for a short retry: through the NAT instance from the VPC, failing fast.
    options.bind(TOKENS.EventSources).toConstantValue(queueEventSources(settings));
    // One client for the deltas and (s3 mode) the index files, built on first use.
    let s3: S3Client | undefined;
    const s3Client = () =>
      (s3 ??= new S3Client({ ...clientConfig(settings), forcePathStyle: Boolean(settings.endpoint) }));
    options
      .bind(TOKENS.Deltas)
      .toDynamicValue(() => new S3ImageStore(s3Client(), { bucket: config.VECTORS_BUCKET }))
      .inSingletonScope();
    let storage: VectorStorage | undefined;
    const vectorStorage = () => (storage ??= vectorStorageFor(config, 'writer', s3Client));
    options
      .bind(TOKENS.VectorIndex)
      .toDynamicValue(() => vectorStorage().vectors)
      .inSingletonScope();
    options
      .bind(TOKENS.CompactionLock)
      .toDynamicValue((ctx) =>
        vectorStorage().fencedLock(
          new DynamoDbCompactionLock(doc(), { tableName: config.TABLE_NAME, clock: ctx.get(TOKENS.Clock) }),
        ),
      )
      .inSingletonScope();
    // Server mode: Chroma snapshot files go to the vectors bucket, beside the deltas.
    if (config.VECTOR_STORAGE_MODE === 'server')
      options
        .bind(TOKENS.VectorSnapshots)
        .toDynamicValue((ctx) => vectorStorage().snapshotsInto!(ctx.get(TOKENS.Deltas)))
        .inSingletonScope();
    options
      .bind(TOKENS.Snapshots)
      .toDynamicValue(
        (ctx) => new DynamoDbSnapshotStore(doc(), { tableName: config.TABLE_NAME, clock: ctx.get(TOKENS.Clock) }),
      )
      .inSingletonScope();
  });
}
