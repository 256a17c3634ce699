import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  FencingCompactionLock,
  InMemoryCompactionLock,
  PerCollectionVectorIndex,
  ReadOnlyVectorIndexError,
} from '@receiptflow/adapters-local';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import { ConfigError } from '@receiptflow/core';
import { createBucket } from '@receiptflow/devkit/emulators';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { CompactionConfigSchema, parseConfig, ProcessOcrResultsConfigSchema } from '../src/config/aws-config.js';
import { CHROMA_CALL_LIMITS, vectorIndexFor, vectorStorageFor } from '../src/container/aws/vector-index.js';
import { loadVectorStorage } from '../src/container/aws/vector-storage.js';
import { fauxqsS3 } from '@receiptflow/devkit/emulators/suite';
import { Container } from 'inversify';
import type { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { awsCompactionModule } from '../src/container/aws/compaction-module.js';
import { resolve, TOKENS } from '../src/container/tokens.js';

const COMPACTION = { TABLE_NAME: 'jobs', VECTORS_BUCKET: 'vectors' };
const RESULTS = {
  TABLE_NAME: 'jobs',
  ARTIFACTS_BUCKET: 'artifacts',
  VECTORS_BUCKET: 'vectors',
  OPENAI_API_KEY: 'sk-test',
  GOOGLE_PLACES_API_KEY: 'places-test',
};

function refusal(
  env: Record<string, string>,
  schema: typeof CompactionConfigSchema | typeof ProcessOcrResultsConfigSchema = CompactionConfigSchema,
): string {
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
    expect(parseConfig(CompactionConfigSchema, { ...COMPACTION, CHROMA_URL: 'http://chroma:8000' }, 'c')).toMatchObject(
      {
        VECTOR_STORAGE_MODE: 'server',
        CHROMA_URL: 'http://chroma:8000',
      },
    );
  });

  it('server takes an optional auth token, tenant and database', () => {
    const config = parseConfig(
      ProcessOcrResultsConfigSchema,
      {
        ...RESULTS,
        VECTOR_STORAGE_MODE: 'server',
        CHROMA_URL: 'https://c.internal',
        CHROMA_AUTH_TOKEN: 't0k',
        CHROMA_TENANT: 'acme',
        CHROMA_DATABASE: 'receipts',
      },
      'p',
    );
    expect(config).toMatchObject({
      CHROMA_AUTH_TOKEN: 't0k',
      CHROMA_TENANT: 'acme',
      CHROMA_DATABASE: 'receipts',
      OPENAI_API_KEY: 'sk-test',
    });
    expect(refusal({ ...COMPACTION, CHROMA_URL: 'http://c', CHROMA_TENANT: '' })).toMatch(/CHROMA_TENANT/);
  });

  it('server: every Chroma call is bounded and retried within CHROMA_CALL_LIMITS, well inside the Lambda timeouts', () => {
    const config = parseConfig(CompactionConfigSchema, { ...COMPACTION, CHROMA_URL: 'http://chroma:8000' }, 'c');
    const index = vectorIndexFor(config, 'writer');
    expect(index).toBeInstanceOf(ChromaVectorIndex);
    expect((index as ChromaVectorIndex).retryPolicy).toEqual(CHROMA_CALL_LIMITS);
    // 3 attempts of 15 s and 2 waits of at most 2 s; process-OCR-results, the shorter Lambda, has 300 s.
    expect((index as ChromaVectorIndex).worstCaseCallMs()).toBe(49_000);
  });

  it('efs needs a directory under the /mnt mount', () => {
    expect(refusal({ ...COMPACTION, VECTOR_STORAGE_MODE: 'efs' })).toMatch(
      /VECTOR_INDEX_DIR: required when VECTOR_STORAGE_MODE is efs/,
    );
    expect(refusal({ ...COMPACTION, VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: 'vectors' })).toMatch(
      /VECTOR_INDEX_DIR: an absolute path under \/mnt/,
    );
    expect(
      parseConfig(
        CompactionConfigSchema,
        { ...COMPACTION, VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: '/mnt/vectors/index' },
        'c',
      ),
    ).toMatchObject({
      VECTOR_STORAGE_MODE: 'efs',
      VECTOR_INDEX_DIR: '/mnt/vectors/index',
    });
  });

  it('s3 needs a bucket and a key prefix, each named when missing or malformed', () => {
    const s3 = { ...COMPACTION, VECTOR_STORAGE_MODE: 's3' };
    const missingBoth = refusal(s3);
    expect(missingBoth).toMatch(/VECTOR_BUCKET: required when VECTOR_STORAGE_MODE is s3/);
    expect(missingBoth).toMatch(/VECTOR_PREFIX: required when VECTOR_STORAGE_MODE is s3/);
    const missingPrefix = refusal({ ...s3, VECTOR_BUCKET: 'rf-vectors' });
    expect(missingPrefix).toMatch(/VECTOR_PREFIX: required/);
    expect(missingPrefix).not.toMatch(/VECTOR_BUCKET/);
    expect(refusal({ ...s3, VECTOR_PREFIX: 'index' })).toMatch(/VECTOR_BUCKET: required/);
    expect(refusal({ ...s3, VECTOR_BUCKET: 'Not_A_Bucket', VECTOR_PREFIX: 'index' })).toMatch(
      /VECTOR_BUCKET: an S3 bucket name/,
    );
    for (const prefix of ['', '/index', 'index/', 'vectors//index'])
      expect(refusal({ ...s3, VECTOR_BUCKET: 'rf-vectors', VECTOR_PREFIX: prefix })).toMatch(
        /VECTOR_PREFIX: a key prefix without leading, trailing or doubled slashes/,
      );
    expect(
      parseConfig(CompactionConfigSchema, { ...s3, VECTOR_BUCKET: 'rf-vectors', VECTOR_PREFIX: 'vectors/index' }, 'c'),
    ).toMatchObject({
      VECTOR_STORAGE_MODE: 's3',
      VECTOR_BUCKET: 'rf-vectors',
      VECTOR_PREFIX: 'vectors/index',
      VECTOR_CHECKPOINT_EVERY: 2000,
      VECTOR_KEEP_SNAPSHOTS: 3,
    });
    // process-OCR-results reads the same variables (it follows the same objects).
    expect(refusal({ ...RESULTS, VECTOR_STORAGE_MODE: 's3' }, ProcessOcrResultsConfigSchema)).toMatch(
      /VECTOR_BUCKET: required/,
    );
  });

  it('refuses unknown modes, naming the variable', () => {
    expect(refusal({ ...COMPACTION, VECTOR_STORAGE_MODE: 'disk' })).toMatch(
      /VECTOR_STORAGE_MODE: must be one of server, efs, s3/,
    );
  });

  it('efs: the writer defaults to a checkpoint every 2000 ops and 3 kept snapshots, both configurable', () => {
    const env = { ...COMPACTION, VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: '/mnt/v' };
    expect(parseConfig(CompactionConfigSchema, env, 'c')).toMatchObject({
      VECTOR_CHECKPOINT_EVERY: 2000,
      VECTOR_KEEP_SNAPSHOTS: 3,
    });
    expect(
      parseConfig(CompactionConfigSchema, { ...env, VECTOR_CHECKPOINT_EVERY: '50', VECTOR_KEEP_SNAPSHOTS: '5' }, 'c'),
    ).toMatchObject({
      VECTOR_CHECKPOINT_EVERY: 50,
      VECTOR_KEEP_SNAPSHOTS: 5,
    });
    expect(refusal({ ...env, VECTOR_CHECKPOINT_EVERY: '0' })).toMatch(/VECTOR_CHECKPOINT_EVERY/);
  });

  it('builds Chroma in server mode; in efs mode fenced writers for compaction (per collection) and followers for readers', async () => {
    const server = parseConfig(CompactionConfigSchema, { ...COMPACTION, CHROMA_URL: 'http://127.0.0.1:1' }, 'c');
    expect(vectorIndexFor(server, 'writer')).toBeInstanceOf(ChromaVectorIndex);
    const plain = new InMemoryCompactionLock();
    expect(vectorStorageFor(server, 'writer').fencedLock(plain)).toBe(plain);

    const dir = await mkdtemp(join(tmpdir(), 'rf-efs-mode-'));
    try {
      const env = { VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: '/mnt/v' };
      const compaction = {
        ...parseConfig(CompactionConfigSchema, { ...COMPACTION, ...env }, 'c'),
        VECTOR_INDEX_DIR: dir,
        EMBEDDING_DIMENSIONS: 8,
      };
      const results = {
        ...parseConfig(ProcessOcrResultsConfigSchema, { ...RESULTS, ...env }, 'p'),
        VECTOR_INDEX_DIR: dir,
        EMBEDDING_DIMENSIONS: 8,
      };
      const writer = vectorStorageFor(compaction, 'writer');
      const lock = writer.fencedLock(new InMemoryCompactionLock());
      const record = { id: 'x', vector: [1, 0, 0, 0, 0, 0, 0, 0], document: 'x', metadata: {} };
      // Without the lock, the writer only follows: compaction cannot write outside a lease.
      await expect(writer.vectors.upsert('lines', [record])).rejects.toBeInstanceOf(ReadOnlyVectorIndexError);
      const lease = (await lock.acquire('compaction:lines', 'req-1', 60_000))!;
      await writer.vectors.upsert('lines', [record]);
      await lock.release(lease);
      const manifest = JSON.parse(await readFile(join(dir, 'lines', 'manifest.json'), 'utf8')).p;
      expect(manifest.fencing_token).toBe(lease.fencing_token);

      const reader = vectorIndexFor(results, 'reader');
      expect(reader).toBeInstanceOf(PerCollectionVectorIndex);
      expect(await reader.count('lines')).toBe(1);
      expect(await reader.count('words')).toBe(0);
      await expect(reader.upsert('lines', [record])).rejects.toBeInstanceOf(ReadOnlyVectorIndexError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loadVectorStorage loads one mode: Chroma for server, the index files for efs and s3; a config of another mode is refused', async () => {
    const server = parseConfig(CompactionConfigSchema, { ...COMPACTION, CHROMA_URL: 'http://127.0.0.1:1' }, 'c');
    const efs = parseConfig(
      CompactionConfigSchema,
      { ...COMPACTION, VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: '/mnt/v' },
      'c',
    );
    const s3 = parseConfig(
      ProcessOcrResultsConfigSchema,
      { ...RESULTS, VECTOR_STORAGE_MODE: 's3', VECTOR_BUCKET: 'vectors', VECTOR_PREFIX: 'index' },
      'p',
    );
    const forServer = await loadVectorStorage('server');
    const chroma = forServer(server, 'writer');
    expect(chroma.vectors).toBeInstanceOf(ChromaVectorIndex);
    expect(chroma.snapshotsInto).toBeTypeOf('function');
    const forEfs = await loadVectorStorage('efs');
    const writer = forEfs(efs, 'writer');
    expect(writer.vectors).toBeInstanceOf(PerCollectionVectorIndex);
    expect(writer.fencedLock(new InMemoryCompactionLock())).toBeInstanceOf(FencingCompactionLock);
    expect((await loadVectorStorage('s3'))(s3, 'reader').vectors).toBeInstanceOf(PerCollectionVectorIndex);
    // A factory loaded for one mode never builds another mode's index (its code may not be loaded).
    expect(() => forServer(efs, 'writer')).toThrow(/loaded for VECTOR_STORAGE_MODE server, but the config is for efs/);
    expect(() => forEfs(server, 'reader')).toThrow(/loaded for VECTOR_STORAGE_MODE efs, but the config is for server/);
  });

  it('server: compaction binds the snapshot policy (cadence and retention from the env, files into the vectors bucket); other modes and readers none', () => {
    const env = { ...COMPACTION, AWS_REGION: 'us-east-1', CHROMA_URL: 'http://127.0.0.1:1' };
    const config = parseConfig(
      CompactionConfigSchema,
      { ...env, VECTOR_CHECKPOINT_EVERY: '50', VECTOR_KEEP_SNAPSHOTS: '5' },
      'c',
    );
    const container = new Container();
    container.load(awsCompactionModule(config, vectorStorageFor));
    const policy = resolve(container, TOKENS.VectorSnapshots);
    expect(policy).toMatchObject({ every: 50, keep: 5, dimensions: config.EMBEDDING_DIMENSIONS });
    expect(policy.transfer).toBe(container.get(TOKENS.VectorIndex));
    expect(policy.store).toBe(container.get(TOKENS.Deltas));
    expect((policy.store as S3ImageStore).bucket).toBe('vectors');
    // Defaults as in the file modes.
    expect(parseConfig(CompactionConfigSchema, env, 'c')).toMatchObject({
      VECTOR_CHECKPOINT_EVERY: 2000,
      VECTOR_KEEP_SNAPSHOTS: 3,
    });

    const efs = new Container();
    efs.load(
      awsCompactionModule(
        parseConfig(
          CompactionConfigSchema,
          { ...COMPACTION, AWS_REGION: 'us-east-1', VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: '/mnt/v' },
          'c',
        ),
        vectorStorageFor,
      ),
    );
    expect(efs.isBound(TOKENS.VectorSnapshots)).toBe(false);
    const results = parseConfig(ProcessOcrResultsConfigSchema, { ...RESULTS, CHROMA_URL: 'http://127.0.0.1:1' }, 'p');
    expect(vectorStorageFor(results, 'reader').snapshotsInto).toBeUndefined();
  });

  describe('s3 mode over fauxqs', () => {
    const s3 = fauxqsS3();

    it(
      'compaction gets fenced writers over <prefix>/lines and /words, process-OCR-results followers of the same objects',
      { timeout: 60_000 },
      async () => {
        const bucket = await createBucket(s3().client, 'vectors');
        const env = { VECTOR_STORAGE_MODE: 's3', VECTOR_BUCKET: bucket, VECTOR_PREFIX: 'vectors/index' };
        const compaction = {
          ...parseConfig(CompactionConfigSchema, { ...COMPACTION, ...env }, 'c'),
          EMBEDDING_DIMENSIONS: 8,
        };
        const results = {
          ...parseConfig(ProcessOcrResultsConfigSchema, { ...RESULTS, ...env }, 'p'),
          EMBEDDING_DIMENSIONS: 8,
        };
        const writer = vectorStorageFor(compaction, 'writer', () => s3().client);
        const lock = writer.fencedLock(new InMemoryCompactionLock());
        expect(lock).toBeInstanceOf(FencingCompactionLock);
        const record = { id: 'x', vector: [1, 0, 0, 0, 0, 0, 0, 0], document: 'x', metadata: {} };
        // Without the lock, the writer only follows: compaction cannot write outside a lease.
        await expect(writer.vectors.upsert('lines', [record])).rejects.toBeInstanceOf(ReadOnlyVectorIndexError);
        const lease = (await lock.acquire('compaction:lines', 'req-1', 60_000))!;
        await writer.vectors.upsert('lines', [record]);
        await lock.release(lease);

        const listed = await s3().client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'vectors/index/' }));
        const keys = (listed.Contents ?? []).map((o) => o.Key!);
        expect(keys).toContain('vectors/index/lines/manifest.json');
        expect(keys.every((k) => k.startsWith('vectors/index/lines/'))).toBe(true);
        const manifest = await s3().client.send(
          new GetObjectCommand({ Bucket: bucket, Key: 'vectors/index/lines/manifest.json' }),
        );
        expect(JSON.parse(await manifest.Body!.transformToString()).p.fencing_token).toBe(lease.fencing_token);

        const reader = vectorIndexFor(results, 'reader', () => s3().client);
        expect(reader).toBeInstanceOf(PerCollectionVectorIndex);
        expect(await reader.count('lines')).toBe(1);
        expect(await reader.count('words')).toBe(0);
        await expect(reader.upsert('lines', [record])).rejects.toBeInstanceOf(ReadOnlyVectorIndexError);
      },
    );

    it('without a client handed in, builds one from AWS_REGION and AWS_ENDPOINT_URL', { timeout: 60_000 }, async () => {
      const bucket = await createBucket(s3().client, 'vectors');
      const env = {
        ...COMPACTION,
        VECTOR_STORAGE_MODE: 's3',
        VECTOR_BUCKET: bucket,
        VECTOR_PREFIX: 'index',
        AWS_ENDPOINT_URL: s3().endpoint,
      };
      const config = { ...parseConfig(CompactionConfigSchema, env, 'c'), EMBEDDING_DIMENSIONS: 8 };
      // The default credential chain, as in Lambda (the emulator accepts any key).
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
      onTestFinished(() => {
        vi.unstubAllEnvs();
      });
      const writer = vectorStorageFor(config, 'writer');
      const lock = writer.fencedLock(new InMemoryCompactionLock());
      const lease = (await lock.acquire('compaction:words', 'req-1', 60_000))!;
      await writer.vectors.upsert('words', [
        { id: 'w', vector: [0, 1, 0, 0, 0, 0, 0, 0], document: 'w', metadata: {} },
      ]);
      await lock.release(lease);
      const listed = await s3().client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'index/words/' }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toContain('index/words/manifest.json');
    });
  });
});
