import type { S3Client } from '@aws-sdk/client-s3';
import type { VectorIndex } from '@receiptflow/core';
import { fileVectorStorage } from './vector-storage-files.js';
import { serverVectorStorage } from './vector-storage-server.js';
import type { StorageConfig, VectorStorage } from './vector-storage.js';

export { CHROMA_CALL_LIMITS } from './vector-storage-server.js';
export type { VectorStorage, VectorStorageFactory } from './vector-storage.js';

/**
 * The vector storage of any `VECTOR_STORAGE_MODE` (docs/vector-storage.md), with every mode's
 * code imported statically: for tests and tools that switch modes. A Lambda entry loads only its
 * mode's code through `loadVectorStorage` (./vector-storage.ts) instead, and hands the factory to
 * its container module; importing this module from a Lambda would put both modes back into init.
 *
 * @example
 * const storage = vectorStorageFor(config, 'writer', () => s3Client());
 * const lock = storage.fencedLock(new DynamoDbCompactionLock(doc, { tableName, clock }));
 */
export function vectorStorageFor(config: StorageConfig, role: 'reader' | 'writer', s3?: () => S3Client): VectorStorage {
  return config.VECTOR_STORAGE_MODE === 'server'
    ? serverVectorStorage(config, role)
    : fileVectorStorage(config, role, s3);
}

/** The vector index alone (readers, and callers that do not take the lock). */
export function vectorIndexFor(config: StorageConfig, role: 'reader' | 'writer', s3?: () => S3Client): VectorIndex {
  return vectorStorageFor(config, role, s3).vectors;
}
