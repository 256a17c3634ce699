import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HnswFollowerVectorIndex, HnswVectorIndex } from '@receiptflow/adapters-local';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import { ConfigError } from '@receiptflow/core';
import { describe, expect, it } from 'vitest';
import { CompactionConfigSchema, parseConfig, ProcessOcrResultsConfigSchema } from '../src/config/aws-config.js';
import { vectorIndexFor } from '../src/container/aws/vector-index.js';

const COMPACTION = { TABLE_NAME: 'jobs', VECTORS_BUCKET: 'vectors' };
const RESULTS = {
  TABLE_NAME: 'jobs',
  ARTIFACTS_BUCKET: 'artifacts',
  VECTORS_BUCKET: 'vectors',
  OPENAI_API_KEY: 'sk-test',
  GOOGLE_PLACES_API_KEY: 'places-test',
};

function refusal(env: Record<string, string>, schema = CompactionConfigSchema): string {
  try {
    parseConfig(schema, env, 'compaction');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('VECTOR_STORAGE_MODE', () => {
  it('server (also when unset) needs a Chroma URL: no placeholder default, the message names CHROMA_URL', () => {
    expect(refusal(COMPACTION)).toMatch(/CHROMA_URL: required when VECTOR_STORAGE_MODE is server/);
    expect(refusal({ ...COMPACTION, VECTOR_STORAGE_MODE: 'server' })).toMatch(/CHROMA_URL: required/);
    expect(refusal({ ...COMPACTION, CHROMA_URL: 'chroma' })).toMatch(/CHROMA_URL/);
    expect(parseConfig(CompactionConfigSchema, { ...COMPACTION, CHROMA_URL: 'http://chroma:8000' }, 'c')).toMatchObject({
      VECTOR_STORAGE_MODE: 'server',
      CHROMA_URL: 'http://chroma:8000',
    });
  });

  it('server takes an optional auth token, tenant and database', () => {
    const config = parseConfig(
      ProcessOcrResultsConfigSchema,
      { ...RESULTS, VECTOR_STORAGE_MODE: 'server', CHROMA_URL: 'https://c.internal', CHROMA_AUTH_TOKEN: 't0k', CHROMA_TENANT: 'acme', CHROMA_DATABASE: 'receipts' },
      'p',
    );
    expect(config).toMatchObject({ CHROMA_AUTH_TOKEN: 't0k', CHROMA_TENANT: 'acme', CHROMA_DATABASE: 'receipts', OPENAI_API_KEY: 'sk-test' });
    expect(refusal({ ...COMPACTION, CHROMA_URL: 'http://c', CHROMA_TENANT: '' })).toMatch(/CHROMA_TENANT/);
  });

  it('efs needs a directory under the /mnt mount', () => {
    expect(refusal({ ...COMPACTION, VECTOR_STORAGE_MODE: 'efs' })).toMatch(/VECTOR_INDEX_DIR: required when VECTOR_STORAGE_MODE is efs/);
    expect(refusal({ ...COMPACTION, VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: 'vectors' })).toMatch(/VECTOR_INDEX_DIR: an absolute path under \/mnt/);
    expect(parseConfig(CompactionConfigSchema, { ...COMPACTION, VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: '/mnt/chroma/vectors' }, 'c')).toMatchObject({
      VECTOR_STORAGE_MODE: 'efs',
      VECTOR_INDEX_DIR: '/mnt/chroma/vectors',
    });
  });

  it('refuses s3 (not built yet) and unknown modes, naming the variable', () => {
    expect(refusal({ ...COMPACTION, VECTOR_STORAGE_MODE: 's3' })).toMatch(/VECTOR_STORAGE_MODE: s3 is not built yet/);
    expect(refusal({ ...COMPACTION, VECTOR_STORAGE_MODE: 'disk' })).toMatch(/VECTOR_STORAGE_MODE: must be one of server, efs, s3/);
  });

  it('builds Chroma in server mode, a read-only follower for readers in efs mode, and refuses the unbuilt efs writer', async () => {
    const server = parseConfig(CompactionConfigSchema, { ...COMPACTION, CHROMA_URL: 'http://127.0.0.1:1' }, 'c');
    expect(vectorIndexFor(server, 'writer')).toBeInstanceOf(ChromaVectorIndex);

    const dir = await mkdtemp(join(tmpdir(), 'rf-efs-mode-'));
    try {
      const writer = await HnswVectorIndex.open(dir, { dimensions: 8, fsync: false });
      await writer.upsert('lines', [{ id: 'x', vector: [1, 0, 0, 0, 0, 0, 0, 0], document: 'x', metadata: {} }]);
      const efs = { ...parseConfig(ProcessOcrResultsConfigSchema, { ...RESULTS, VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: '/mnt/v' }, 'p'), VECTOR_INDEX_DIR: dir, EMBEDDING_DIMENSIONS: 8 };
      const reader = vectorIndexFor(efs, 'reader');
      expect(reader).toBeInstanceOf(HnswFollowerVectorIndex);
      expect(await reader.count('lines')).toBe(1);
      expect(() => vectorIndexFor(efs, 'writer')).toThrow(/compaction writer on EFS is not built yet/);
      await writer.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
