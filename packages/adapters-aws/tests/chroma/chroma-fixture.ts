import { ChromaClient } from 'chromadb';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { VectorRecord } from '@receiptflow/core';
import { startChromaServer, type ChromaServer } from '@receiptflow/devkit/chroma';
import { startChromaProxy, type ChromaProxy, type ChromaProxyOptions } from './chroma-proxy.js';

/**
 * One real Chroma server for the calling test file (started before its tests, stopped after),
 * with the proxies a test puts in front of it closed after each test.
 */
export function useChromaServer() {
  let server: ChromaServer | undefined;
  const proxies: ChromaProxy[] = [];
  beforeAll(async () => {
    server = await startChromaServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  const running = (): ChromaServer => {
    if (!server) throw new Error('the Chroma server is not started yet');
    return server;
  };
  return {
    server: running,
    /** A client straight to the server. */
    direct: () => new ChromaClient({ host: running().host, port: running().port }),
    /** A recording (and, with options, misbehaving) proxy in front of the server, and a client to it. */
    proxied: async (options: ChromaProxyOptions = {}) => {
      const proxy = await startChromaProxy(running().url, options);
      proxies.push(proxy);
      return { proxy, client: new ChromaClient({ host: proxy.host, port: proxy.port }) };
    },
  };
}

/** `n` records with distinct positive vectors of `dims` dimensions and `{ tag, i }` metadata. */
export function sampleRecords(n: number, tag: string, dims: number): VectorRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${tag}-${i}`,
    vector: Array.from({ length: dims }, (_, d) => Math.sin(i * 7 + d) + 1.5),
    document: `line ${i}`,
    metadata: { tag, i },
  }));
}
