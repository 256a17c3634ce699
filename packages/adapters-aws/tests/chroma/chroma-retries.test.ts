import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ChromaClient } from 'chromadb';
import { describe, expect, it } from 'vitest';
import { DependencyError, TransientDependencyError, type VectorRecord } from '@receiptflow/core';
import { ChromaVectorIndex, type ChromaVectorIndexConfig } from '../../src/chroma/index.js';
import { sampleRecords, useChromaServer } from './chroma-fixture.js';
import type { ChromaProxyOptions } from './chroma-proxy.js';

// issue 20, item 5: Chroma calls are retried when the failure may pass, fail at once when it
// cannot, and a call that times out really closes its connection.

const DIMS = 4;
const chroma = useChromaServer();
let prefixes = 0;
const records = (n: number, tag: string): VectorRecord[] => sampleRecords(n, tag, DIMS);

/** Sleeps that return at once and are remembered, so backoff is asserted without waiting. */
function recordingSleep() {
  const sleeps: number[] = [];
  return { sleeps, clock: { sleep: async (ms: number) => void sleeps.push(ms) } };
}

async function indexBehind(fault: ChromaProxyOptions['fault'], config: ChromaVectorIndexConfig = {}) {
  const { proxy, client } = await chroma.proxied({ fault });
  const { sleeps, clock } = recordingSleep();
  const index = new ChromaVectorIndex(client, {
    collectionPrefix: `retry${++prefixes}_`,
    clock,
    ...config,
  });
  return { index, proxy, sleeps, upserts: () => proxy.requests.filter((r) => r.operation === 'upsert').length };
}

describe('ChromaVectorIndex retries', () => {
  for (const [what, fault] of [
    ['a 503', 503],
    ['a 500', 500],
    ['a 429', 429],
    ['a reset connection', 'reset'],
  ] as const) {
    it(`retries an upsert that met ${what}, with jittered backoff, and the write lands once`, async () => {
      const { index, sleeps, upserts } = await indexBehind(({ operation, nth }) =>
        operation === 'upsert' && nth <= 2 ? fault : undefined,
      );
      await index.upsert('lines', records(5, 'r'));
      expect(upserts()).toBe(3);
      expect(await index.count('lines')).toBe(5);
      // Two waits: the first step is 250 ms, the second 500 ms, each at least half its step.
      expect(sleeps).toHaveLength(2);
      expect(sleeps[0]).toBeGreaterThanOrEqual(125);
      expect(sleeps[0]).toBeLessThanOrEqual(250);
      expect(sleeps[1]).toBeGreaterThanOrEqual(250);
      expect(sleeps[1]).toBeLessThanOrEqual(500);
    });
  }

  it('gives up after maxAttempts with a retryable error that says how many attempts it made', async () => {
    const { index, upserts } = await indexBehind(({ operation }) => (operation === 'upsert' ? 503 : undefined), {
      maxAttempts: 4,
    });
    const error = await index.upsert('lines', records(2, 'x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientDependencyError);
    expect((error as Error).message).toMatch(/^chroma: upsert into retry\d+_lines: .*\(gave up after 4 attempts\)$/);
    expect(upserts()).toBe(4);
  });

  it('fails a refused request (4xx) at once, as a DependencyError, without retrying it', async () => {
    const { index, sleeps, upserts } = await indexBehind(({ operation }) => (operation === 'upsert' ? 400 : undefined));
    const error = await index.upsert('lines', records(2, 'bad')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ dependency: 'chroma', retryable: false, code: 'DEPENDENCY_FAILED' });
    expect(upserts()).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a read that met a 5xx and answers with what is stored', async () => {
    const { index, proxy } = await indexBehind(({ operation, nth }) =>
      operation === 'query' && nth === 1 ? 502 : undefined,
    );
    await index.upsert('words', records(3, 'q'));
    const matches = await index.query('words', { vector: records(3, 'q')[1]!.vector, k: 1 });
    expect(matches.map((m) => m.id)).toEqual(['q-1']);
    expect(proxy.requests.filter((r) => r.operation === 'query')).toHaveLength(2);
  });
});

describe('ChromaVectorIndex idempotency (a retried run converges)', () => {
  /** Everything a collection holds, by id: what two indexes are compared on. */
  async function contents(index: ChromaVectorIndex, ids: string[]) {
    const stored = await index.get('lines', ids);
    return {
      count: await index.count('lines'),
      records: stored.map((r) => ({ ...r, vector: r.vector.map((v) => Math.round(v * 1e5) / 1e5) })),
    };
  }

  it('a delta re-applied after its first batches landed ends in exactly the index of one clean apply', async () => {
    const delta = records(250, 'run');
    const ids = delta.map((r) => r.id);
    const { direct } = chroma;
    const clean = new ChromaVectorIndex(direct(), { collectionPrefix: `clean${++prefixes}_`, maxBatchSize: 100 });
    await clean.upsert('lines', delta);

    const retried = new ChromaVectorIndex(direct(), { collectionPrefix: `again${++prefixes}_`, maxBatchSize: 100 });
    // The first attempt died after two batches of 100; the retry applies the whole delta, twice for good measure.
    await retried.upsert('lines', delta.slice(0, 200));
    await retried.upsert('lines', delta);
    await retried.upsert('lines', delta);
    expect(await contents(retried, ids)).toEqual(await contents(clean, ids));
    expect((await contents(retried, ids)).count).toBe(250);
  });

  it('deletes by id are idempotent: a repeated or partly applied delete succeeds and leaves the same state', async () => {
    const { index } = await indexBehind(undefined);
    await index.upsert('lines', records(6, 'd'));
    await index.delete('lines', ['d-0', 'd-1']);
    await index.delete('lines', ['d-0', 'd-1', 'd-2']);
    await index.delete('lines', ['d-0', 'never-stored']);
    expect(await index.count('lines')).toBe(3);
    expect((await index.get('lines', ['d-3', 'd-4', 'd-5'])).map((r) => r.id)).toEqual(['d-3', 'd-4', 'd-5']);
  });
});

describe('ChromaVectorIndex timeouts', () => {
  it('aborts each timed-out attempt: the server sees every connection closed, not left hanging', async () => {
    const silent = await silentServer();
    try {
      const { clock, sleeps } = recordingSleep();
      const index = new ChromaVectorIndex(new ChromaClient({ host: '127.0.0.1', port: silent.port }), {
        requestTimeoutMs: 300,
        maxAttempts: 2,
        clock,
      });
      const error = await index.count('lines').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientDependencyError);
      expect((error as Error).message).toMatch(
        /no answer from the Chroma server within 300 ms \(gave up after 2 attempts\)/,
      );
      expect(sleeps).toHaveLength(1);
      // Generous: the close of an aborted request reaches the server shortly after the abort.
      await waitFor(() => silent.opened >= 2 && silent.open() === 0, 10_000);
      expect(silent.opened).toBeGreaterThanOrEqual(2);
      expect(silent.open()).toBe(0);
    } finally {
      await silent.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/**
 * Accepts connections, reads what is sent and never answers. Counts the connections that carried
 * a request and how many of those are still open (an idle connection the HTTP client opens ahead
 * is not a request left hanging).
 */
async function silentServer() {
  const sockets = new Set<Socket>();
  const requested = new Set<Socket>();
  let opened = 0;
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      opened++;
      requested.add(socket);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      requested.delete(socket);
    });
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  return {
    port: (silent.address() as AddressInfo).port,
    get opened() {
      return opened;
    },
    open: () => requested.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        silent.close(() => resolve());
      }),
  };
}
