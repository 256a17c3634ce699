import { join } from 'node:path';
import {
  FencingCompactionLock,
  HnswFencedWriterVectorIndex,
  HnswFollowerVectorIndex,
  FsVectorIndexFiles,
  PerCollectionVectorIndex,
} from '@receiptflow/adapters-local/vector';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import { ConfigError, type CompactionLock, type VectorIndex } from '@receiptflow/core';
import type { VectorStorageConfig } from '../../config/aws-config.js';
import { chromaClient } from './chroma-client.js';

/** The vector index a Lambda uses, and (for the efs writer) how its lock must fence it. */
export interface VectorStorage {
  vectors: VectorIndex;
  /** Wraps the compaction lock so each lease fences the collection's writer; identity otherwise. */
  fencedLock(lock: CompactionLock): CompactionLock;
}

type StorageConfig = VectorStorageConfig & { EMBEDDING_DIMENSIONS: number };

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
 * `reader` functions (process-OCR results) only query: in efs mode they follow the index files
 * read-only. In efs mode compaction is the single writer: one directory per collection
 * (`<VECTOR_INDEX_DIR>/lines`, `/words`, because each collection has its own compaction lock),
 * each writer fenced by its lock's token through {@link VectorStorage.fencedLock}.
 */
export function vectorStorageFor(config: StorageConfig, role: 'reader' | 'writer'): VectorStorage {
  const dimensions = config.EMBEDDING_DIMENSIONS;
  const unfenced = (lock: CompactionLock) => lock;
  switch (config.VECTOR_STORAGE_MODE) {
    case 'server':
      return {
        vectors: new ChromaVectorIndex(
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
        ),
        fencedLock: unfenced,
      };
    case 'efs': {
      const dir = (collection: string) => join(config.VECTOR_INDEX_DIR, collection);
      if (role === 'reader') {
        const follow = (collection: string) =>
          new HnswFollowerVectorIndex({
            files: new FsVectorIndexFiles(dir(collection)),
            dimensions,
            whenMissing: 'empty',
          });
        return {
          vectors: new PerCollectionVectorIndex({ lines: follow('lines'), words: follow('words') }),
          fencedLock: unfenced,
        };
      }
      const write = (collection: string) =>
        new HnswFencedWriterVectorIndex({
          files: new FsVectorIndexFiles(dir(collection)),
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
    case 's3':
      throw new ConfigError('VECTOR_STORAGE_MODE=s3 is not built yet (docs/vector-storage.md)');
  }
}

/** The vector index alone (readers, and callers that do not take the lock). */
export function vectorIndexFor(config: StorageConfig, role: 'reader' | 'writer'): VectorIndex {
  return vectorStorageFor(config, role).vectors;
}
