import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ChromaClient } from 'chromadb';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DependencyError,
  IncompleteWriteError,
  TransientDependencyError,
  ValidationError,
  type VectorRecord,
} from '@receiptflow/core';
import { ChromaVectorIndex } from '../../src/chroma/index.js';
import { sampleRecords, useChromaServer } from './chroma-fixture.js';

const DIMS = 8;
const chroma = useChromaServer();
const { direct, proxied } = chroma;
let prefixes = 0;
const freshPrefix = () => `adapter${++prefixes}_`;
const records = (n: number, tag: string): VectorRecord[] => sampleRecords(n, tag, DIMS);

describe('ChromaVectorIndex against a real Chroma server', () => {
  // docs/lessons.md#lesson-11-benign-races-counted-as-failures
  it('lets two instances create the same collection concurrently', async () => {
    const prefix = freshPrefix();
    const a = new ChromaVectorIndex(direct(), { collectionPrefix: prefix });
    const b = new ChromaVectorIndex(direct(), { collectionPrefix: prefix });
    await Promise.all([a.upsert('lines', records(3, 'a')), b.upsert('lines', records(2, 'b'))]);
    expect(await a.count('lines')).toBe(5);
    expect(await b.count('lines')).toBe(5);
    const names = (await direct().listCollections()).map((c) => c.name).filter((n) => n.startsWith(prefix));
    expect(names).toEqual([`${prefix}lines`]);
  });

  it('creates cosine collections without an embedding function', async () => {
    const prefix = freshPrefix();
    await new ChromaVectorIndex(direct(), { collectionPrefix: prefix }).count('words');
    const collection = await direct().getCollection({ name: `${prefix}words` });
    expect(collection.configuration.hnsw?.space).toBe('cosine');
  });

  it('refuses a pre-existing collection that uses another distance', async () => {
    const prefix = freshPrefix();
    await direct().createCollection({
      name: `${prefix}lines`,
      embeddingFunction: null,
      configuration: { hnsw: { space: 'l2' } },
    });
    const index = new ChromaVectorIndex(direct(), { collectionPrefix: prefix });
    const error = await index.count('lines').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as Error).message).toMatch(/l2.*expected cosine/);
  });

  // docs/lessons.md#lesson-13-metadata-updates-merged-stale-keys
  it('clears a key on the server itself when updateMetadata sets it to null', async () => {
    const prefix = freshPrefix();
    const index = new ChromaVectorIndex(direct(), { collectionPrefix: prefix });
    await index.upsert('lines', [
      { id: 'r1', vector: records(1, 'x')[0]!.vector, document: 'd', metadata: { merchant: 'STALE', image: 'i1' } },
    ]);
    expect(await index.updateMetadata('lines', ['r1'], { merchant: null, label: 'TOTAL' })).toBe(1);
    // Read with the plain client: the stale key is gone from what Chroma stores.
    const raw = await (
      await direct().getCollection({ name: `${prefix}lines` })
    ).get({
      ids: ['r1'],
      include: ['metadatas', 'documents'],
    });
    expect(raw.metadatas[0]).toEqual({ image: 'i1', label: 'TOTAL' });
    expect(raw.documents[0]).toBe('d');
  });

  it('sets keys with an in-place update and only re-adds records that must lose a key', async () => {
    const { proxy, client } = await proxied();
    const index = new ChromaVectorIndex(client, { collectionPrefix: freshPrefix() });
    await index.upsert('lines', records(4, 'u'));
    proxy.requests.length = 0;
    await index.updateMetadata('lines', ['u-0', 'u-1'], { seen: true });
    expect(proxy.requests.map((r) => r.operation)).not.toContain('delete');
    expect(proxy.requests.map((r) => r.operation)).toContain('update');

    proxy.requests.length = 0;
    await index.updateMetadata('lines', ['u-0', 'u-2'], { seen: null });
    // u-2 never had the key, so only u-0 is replaced.
    expect(proxy.requests.filter((r) => r.operation === 'delete').map((r) => r.ids)).toEqual([1]);
    expect((await index.get('lines', ['u-0', 'u-1']))!.map((r) => r.metadata)).toEqual([
      { tag: 'u', i: 0 },
      { tag: 'u', i: 1, seen: true },
    ]);
  });

  it('stores empty metadata under a marker key that reads never show', async () => {
    const prefix = freshPrefix();
    const index = new ChromaVectorIndex(direct(), { collectionPrefix: prefix });
    await index.upsert('lines', [{ ...records(1, 'e')[0]!, metadata: {} }]);
    const raw = await (await direct().getCollection({ name: `${prefix}lines` })).get({ include: ['metadatas'] });
    expect(Object.keys(raw.metadatas[0] ?? {})).toHaveLength(1);
    expect((await index.get('lines', ['e-0']))[0]!.metadata).toEqual({});
  });

  it('refuses a call that mixes vector lengths before writing anything, without configured dimensions', async () => {
    const index = new ChromaVectorIndex(direct(), { collectionPrefix: freshPrefix(), maxBatchSize: 2 });
    const mixed = [...records(3, 'mix'), { ...records(1, 'odd')[0]!, vector: [1, 2, 3] }];
    const error = await index.upsert('lines', mixed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('odd-0');
    expect(await index.count('lines')).toBe(0);
  });

  // docs/lessons.md#lesson-2-a-merge-that-lost-data-was-marked-done, docs/lessons.md#lesson-14-vector-store-limits
  describe('batch limits', () => {
    for (const n of [299, 300, 301]) {
      it(`sends ${n} records in requests of at most 300 when the server allows more`, async () => {
        const { proxy, client } = await proxied();
        const index = new ChromaVectorIndex(client, { collectionPrefix: freshPrefix() });
        await index.upsert('words', records(n, `n${n}`));
        expect(await index.count('words')).toBe(n);
        const upserts = proxy.requests.filter((r) => r.operation === 'upsert').map((r) => r.ids);
        expect(upserts).toEqual(n <= 300 ? [n] : [300, n - 300]);
        const gets = proxy.requests.filter((r) => r.operation === 'get');
        expect(Math.max(...gets.map((r) => r.ids))).toBeLessThanOrEqual(300);
      });
    }

    it('respects a server limit below the configured batch size', async () => {
      const { proxy, client } = await proxied({ maxBatchSize: 120 });
      const index = new ChromaVectorIndex(client, { collectionPrefix: freshPrefix(), maxBatchSize: 300 });
      await index.upsert('lines', records(301, 'small'));
      const sizes = proxy.requests.filter((r) => ['upsert', 'get', 'delete'].includes(r.operation)).map((r) => r.ids);
      expect(Math.max(...sizes)).toBe(120);
      await index.delete(
        'lines',
        records(301, 'small').map((r) => r.id),
      );
      expect(await index.count('lines')).toBe(0);
    });

    it('raises IncompleteWriteError when the server silently drops records past 100 per request', async () => {
      const { client } = await proxied({ dropRecordsBeyond: 100 });
      const index = new ChromaVectorIndex(client, { collectionPrefix: freshPrefix() });
      const error = await index.upsert('lines', records(301, 'lossy')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IncompleteWriteError);
      // Batches of 300 + 1: the proxy keeps 100 of the first and the 1 of the second.
      expect(error).toMatchObject({ expected: 301, actual: 101, retryable: true });
    });
  });

  describe('failures', () => {
    it('names Chroma when the server is down at start, as a retryable error', async () => {
      const port = await closedPort();
      const index = new ChromaVectorIndex(new ChromaClient({ host: '127.0.0.1', port }), {
        collectionPrefix: 'down_',
      });
      const error = await index.count('lines').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientDependencyError);
      expect(error).toMatchObject({ dependency: 'chroma', retryable: true });
      expect((error as Error).message).toMatch(
        /^chroma: open collection down_lines: cannot reach the Chroma server .*\(gave up after 3 attempts\)$/,
      );
    });

    it('fails with a named timeout instead of hanging on a server that never answers', async () => {
      const silent = await silentServer();
      try {
        const index = new ChromaVectorIndex(new ChromaClient({ host: '127.0.0.1', port: silent.port }), {
          requestTimeoutMs: 200,
        });
        const error = await index.query('lines', { vector: [1, 0], k: 1 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TransientDependencyError);
        expect((error as Error).message).toMatch(/no answer from the Chroma server within 200 ms/);
      } finally {
        await silent.close();
      }
    });

    it('recreates a collection that was deleted behind its back, on the next call', async () => {
      const prefix = freshPrefix();
      const index = new ChromaVectorIndex(direct(), { collectionPrefix: prefix });
      await index.upsert('lines', records(2, 'gone'));
      await direct().deleteCollection({ name: `${prefix}lines` });
      await expect(index.count('lines')).rejects.toBeInstanceOf(TransientDependencyError);
      expect(await index.count('lines')).toBe(0);
    });

    it('rejects a prefix that makes an invalid collection name', () => {
      expect(() => new ChromaVectorIndex(direct(), { collectionPrefix: '_bad' })).toThrow(ConfigError);
      expect(() => new ChromaVectorIndex(direct(), { maxBatchSize: 0 })).toThrow(ConfigError);
    });
  });
});

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Accepts connections and never answers. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const silent: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  return {
    port: (silent.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        silent.close(() => resolve());
      }),
  };
}
