import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { S3VectorIndexFiles } from '@receiptflow/adapters-aws/vector';
import {
  FencingCompactionLock,
  FsVectorIndexFiles,
  HnswFencedWriterVectorIndex,
  HnswFollowerVectorIndex,
  PerCollectionVectorIndex,
} from '@receiptflow/adapters-local/vector';
import type { VectorIndexFiles } from '@receiptflow/core';
import { clientConfig, settingsFrom } from './clients.js';
import type { StorageConfig, VectorStorage } from './vector-storage.js';

/**
 * `VECTOR_STORAGE_MODE=efs` and `s3`: the local HNSW index files, one index per collection
 * (`<VECTOR_INDEX_DIR>/lines` and `/words` on the mount, `<VECTOR_PREFIX>/lines` and `/words` in
 * the bucket, because each collection has its own compaction lock). Compaction is the single
 * writer, each collection's writer fenced by its lock's token through
 * {@link VectorStorage.fencedLock}; readers follow the files read-only. In s3 mode `s3` is the
 * function's own client (shared with its other stores, and instrumented in the IAM test); without
 * one a client is built from the config's region and endpoint. Its own module (and bundle chunk),
 * loaded through `loadVectorStorage('efs' | 's3')` only.
 *
 * @example
 * const storage = fileVectorStorage(config, 'writer', () => s3Client());
 * const lock = storage.fencedLock(new DynamoDbCompactionLock(doc, { tableName, clock }));
 */
export function fileVectorStorage(
  config: StorageConfig,
  role: 'reader' | 'writer',
  s3?: () => S3Client,
): VectorStorage {
  switch (config.VECTOR_STORAGE_MODE) {
    case 'efs':
      return indexFiles(
        config,
        role,
        (collection) => new FsVectorIndexFiles(join(config.VECTOR_INDEX_DIR, collection)),
      );
    case 's3': {
      const settings = settingsFrom({
        AWS_REGION: config.AWS_REGION ?? 'us-east-1',
        AWS_ENDPOINT_URL: config.AWS_ENDPOINT_URL,
      });
      let client: S3Client | undefined;
      const clientOf =
        s3 ??
        (() => (client ??= new S3Client({ ...clientConfig(settings), forcePathStyle: Boolean(settings.endpoint) })));
      return indexFiles(
        config,
        role,
        (collection) =>
          new S3VectorIndexFiles(clientOf(), {
            bucket: config.VECTOR_BUCKET,
            prefix: `${config.VECTOR_PREFIX}/${collection}`,
          }),
      );
    }
    default:
      throw new TypeError(`fileVectorStorage takes VECTOR_STORAGE_MODE efs or s3, got ${config.VECTOR_STORAGE_MODE}`);
  }
}

/** efs and s3 alike: followers for a reader, fenced writers (and the lock that fences them) for compaction. */
function indexFiles(
  config: StorageConfig & { VECTOR_CHECKPOINT_EVERY: number; VECTOR_KEEP_SNAPSHOTS: number },
  role: 'reader' | 'writer',
  filesOf: (collection: 'lines' | 'words') => VectorIndexFiles,
): VectorStorage {
  const dimensions = config.EMBEDDING_DIMENSIONS;
  if (role === 'reader') {
    const follow = (collection: 'lines' | 'words') =>
      new HnswFollowerVectorIndex({ files: filesOf(collection), dimensions, whenMissing: 'empty' });
    return {
      vectors: new PerCollectionVectorIndex({ lines: follow('lines'), words: follow('words') }),
      fencedLock: (lock) => lock,
    };
  }
  const write = (collection: 'lines' | 'words') =>
    new HnswFencedWriterVectorIndex({
      files: filesOf(collection),
      dimensions,
      checkpointEvery: config.VECTOR_CHECKPOINT_EVERY,
      keepSnapshots: config.VECTOR_KEEP_SNAPSHOTS,
    });
  const writers = { lines: write('lines'), words: write('words') };
  return {
    vectors: new PerCollectionVectorIndex(writers),
    fencedLock: (lock) => new FencingCompactionLock(lock, writers),
  };
}
