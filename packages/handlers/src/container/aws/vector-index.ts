import { join } from 'node:path';
import {
  FencingCompactionLock,
  HnswFencedWriterVectorIndex,
  HnswFollowerVectorIndex,
  FsVectorIndexFiles,
  PerCollectionVectorIndex,
} from '@receiptflow/adapters-local/vector';
import { S3Client } from '@aws-sdk/client-s3';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import { S3VectorIndexFiles } from '@receiptflow/adapters-aws/vector';
import type { CompactionLock, ImageStore, VectorIndex, VectorIndexFiles, VectorSnapshotDeps } from '@receiptflow/core';
import type { VectorStorageConfig } from '../../config/aws-config.js';
import { chromaClient } from './chroma-client.js';
import { clientConfig, settingsFrom } from './clients.js';

/** The vector index a Lambda uses, and (for the efs writer) how its lock must fence it. */
export interface VectorStorage {
  vectors: VectorIndex;
  /** Wraps the compaction lock so each lease fences the collection's writer; identity otherwise. */
  fencedLock(lock: CompactionLock): CompactionLock;
  /**
   * Server mode, writer: the snapshot policy compaction writes Chroma snapshot files with, into
   * `store` (the vectors bucket, beside the deltas). Absent in efs and s3 mode, whose index files
   * are their own snapshots.
   */
  snapshotsInto?(store: ImageStore): VectorSnapshotDeps;
}

type StorageConfig = VectorStorageConfig & {
  EMBEDDING_DIMENSIONS: number;
  /** s3 mode, when no client is handed in: the region and endpoint of the client built. */
  AWS_REGION?: string;
  AWS_ENDPOINT_URL?: string | undefined;
};

/**
 * Chroma per call: 3 attempts × 15 s + 2 waits of at most 2 s = 49 s at the worst. An upsert or
 * read of 300 records normally answers in well under a second; 15 s leaves room for a busy server
 * while a dead one is given up on long before compaction's 900 s (or process-OCR-results' 300 s)
 * timeout. Only transient failures are retried (see ChromaVectorIndex).
 */
export const CHROMA_CALL_LIMITS = {
  requestTimeoutMs: 15_000,
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 2_000,
} as const;

/**
 * The vector storage a Lambda uses, by `VECTOR_STORAGE_MODE` (docs/vector-storage.md).
 * `reader` functions (process-OCR results) only query: in efs and s3 mode they follow the index
 * files read-only. In those modes compaction is the single writer: one index per collection
 * (`<VECTOR_INDEX_DIR>/lines` and `/words` on the mount, `<VECTOR_PREFIX>/lines` and `/words`
 * in the bucket, because each collection has its own compaction lock), each writer fenced by
 * its lock's token through {@link VectorStorage.fencedLock}. In s3 mode `s3` is the function's
 * own client (shared with its other stores, and instrumented in the IAM test); without one a
 * client is built from the config's region and endpoint.
 *
 * @example
 * const storage = vectorStorageFor(config, 'writer', () => s3Client());
 * const lock = storage.fencedLock(new DynamoDbCompactionLock(doc, { tableName, clock }));
 */
export function vectorStorageFor(config: StorageConfig, role: 'reader' | 'writer', s3?: () => S3Client): VectorStorage {
  const dimensions = config.EMBEDDING_DIMENSIONS;
  const unfenced = (lock: CompactionLock) => lock;
  switch (config.VECTOR_STORAGE_MODE) {
    case 'server': {
      const chroma = new ChromaVectorIndex(
        chromaClient(config.CHROMA_URL, {
          ...(config.CHROMA_AUTH_TOKEN ? { authToken: config.CHROMA_AUTH_TOKEN } : {}),
          ...(config.CHROMA_TENANT ? { tenant: config.CHROMA_TENANT } : {}),
          ...(config.CHROMA_DATABASE ? { database: config.CHROMA_DATABASE } : {}),
        }),
        {
          dimensions,
          requestTimeoutMs: CHROMA_CALL_LIMITS.requestTimeoutMs,
          maxAttempts: CHROMA_CALL_LIMITS.maxAttempts,
          retryBaseDelayMs: CHROMA_CALL_LIMITS.baseDelayMs,
          retryMaxDelayMs: CHROMA_CALL_LIMITS.maxDelayMs,
        },
      );
      return {
        vectors: chroma,
        fencedLock: unfenced,
        ...(role === 'writer'
          ? {
              snapshotsInto: (store: ImageStore): VectorSnapshotDeps => ({
                transfer: chroma,
                vectors: chroma,
                store,
                dimensions,
                every: config.VECTOR_CHECKPOINT_EVERY,
                keep: config.VECTOR_KEEP_SNAPSHOTS,
              }),
            }
          : {}),
      };
    }
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

/** The vector index alone (readers, and callers that do not take the lock). */
export function vectorIndexFor(config: StorageConfig, role: 'reader' | 'writer', s3?: () => S3Client): VectorIndex {
  return vectorStorageFor(config, role, s3).vectors;
}
