import { HnswFollowerVectorIndex, NodeIndexFiles } from '@receiptflow/adapters-local/vector';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import { ConfigError, type VectorIndex } from '@receiptflow/core';
import type { VectorStorageConfig } from '../../config/aws-config.js';
import { chromaClient } from './chroma-client.js';

/**
 * The vector index a Lambda uses, by `VECTOR_STORAGE_MODE`. `reader` functions (process-OCR
 * results) only query: in efs mode they follow the index files read-only. The writer side of
 * efs (compaction appending to the files on the mount) is not built yet, so compaction refuses
 * efs at cold start instead of silently writing nowhere.
 */
export function vectorIndexFor(config: VectorStorageConfig & { EMBEDDING_DIMENSIONS: number }, role: 'reader' | 'writer'): VectorIndex {
  const dimensions = config.EMBEDDING_DIMENSIONS;
  switch (config.VECTOR_STORAGE_MODE) {
    case 'server':
      return new ChromaVectorIndex(
        chromaClient(config.CHROMA_URL, {
          ...(config.CHROMA_AUTH_TOKEN ? { authToken: config.CHROMA_AUTH_TOKEN } : {}),
          ...(config.CHROMA_TENANT ? { tenant: config.CHROMA_TENANT } : {}),
          ...(config.CHROMA_DATABASE ? { database: config.CHROMA_DATABASE } : {}),
        }),
        { dimensions },
      );
    case 'efs':
      if (role === 'writer')
        throw new ConfigError('VECTOR_STORAGE_MODE=efs: the compaction writer on EFS is not built yet (docs/vector-storage.md); use server');
      return new HnswFollowerVectorIndex({ files: new NodeIndexFiles(config.VECTOR_INDEX_DIR), dimensions });
    case 's3':
      throw new ConfigError('VECTOR_STORAGE_MODE=s3 is not built yet (docs/vector-storage.md)');
  }
}
