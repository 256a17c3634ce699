import type { VectorIndex } from '@receiptflow/core';
import { ExactVectorIndex, HnswVectorIndex } from '@receiptflow/adapters-local';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import { startChromaServer, type ChromaServer } from '../src/chroma/index.js';
import { ChromaClient } from 'chromadb';
import { fillerRecords } from './filler.js';

/** The same filler vectors in every index: small ones hold a prefix of what large ones hold. */
export interface BenchIndexes {
  smallSize: number;
  largeSize: number;
  local: { small: HnswVectorIndex; large: HnswVectorIndex };
  exactLarge: ExactVectorIndex;
  /** Null when the Chroma server could not be started (the reason is in `chromaError`). */
  chroma: { small: ChromaVectorIndex; large: ChromaVectorIndex } | null;
  chromaError: string | null;
  /** Seconds spent inside HnswVectorIndex.upsert for the large index. */
  hnswLargeBuildSeconds: number;
  /** Wall seconds to fill everything (Chroma fills alongside, in its own process). */
  fillSeconds: number;
  stop(): Promise<void>;
}

const DIMENSIONS = 512;
/** HnswVectorIndex's default efConstruction. */
const FULL_BEAM = 100;

/**
 * Fills the local HNSW indexes, the exact reference and (on a fresh local server) the Chroma
 * collections with `largeSize` line records, the first `smallSize` of them in the small ones.
 * Chroma's inserts run in the server process while this one builds the HNSW graph.
 * `chroma: false` starts no Chroma server (`chroma` is then null, as when it fails to start).
 */
export async function buildIndexes(
  smallSize: number,
  largeSize: number,
  progress: (line: string) => void,
  options: { chroma?: boolean } = {},
): Promise<BenchIndexes> {
  const local = {
    small: new HnswVectorIndex({ dimensions: DIMENSIONS }),
    large: new HnswVectorIndex({ dimensions: DIMENSIONS }),
  };
  // The fill stands for an index built and checkpointed over time: every record linked with the
  // full beam, none unlinked. Merges afterwards (P2) use the default: appended unlinked.
  const mergeEf = local.large.insertEf;
  for (const index of [local.small, local.large]) index.insertEf = FULL_BEAM;
  const exactLarge = new ExactVectorIndex({ dimensions: DIMENSIONS });
  let server: ChromaServer | null = null;
  let chroma: BenchIndexes['chroma'] = null;
  let chromaError: string | null = options.chroma === false ? 'not asked for (--only p2)' : null;
  if (options.chroma !== false)
    try {
      server = await startChromaServer();
      const client = new ChromaClient({ host: server.host, port: server.port });
      const chromaOptions = { dimensions: DIMENSIONS, maxBatchSize: 5000, requestTimeoutMs: 120_000 };
      chroma = {
        small: new ChromaVectorIndex(client, { ...chromaOptions, collectionPrefix: 'small_' }),
        large: new ChromaVectorIndex(client, { ...chromaOptions, collectionPrefix: 'large_' }),
      };
    } catch (error) {
      chromaError = error instanceof Error ? error.message : String(error);
      progress(`chroma unavailable: ${chromaError}`);
    }

  const started = performance.now();
  let hnswMs = 0;
  let done = 0;
  let nextReport = 0;
  // Chroma may fall behind the graph build by a few batches (bounded, to bound memory); waiting
  // for it batch by batch would add up the slower side of every batch.
  const chromaBacklog: Promise<unknown>[] = [];
  for await (const batch of fillerRecords(largeSize, { collection: 'lines' })) {
    const inSmall = batch.slice(0, Math.max(0, smallSize - done));
    if (chroma) {
      const previous = chromaBacklog.at(-1) ?? Promise.resolve();
      const work = previous.then(() =>
        Promise.all([
          chroma.large.upsert('lines', batch),
          inSmall.length > 0 ? chroma.small.upsert('lines', inSmall) : undefined,
        ]),
      );
      // Handled here so a failure does not go unobserved while the graph is built; awaited below.
      work.catch(() => undefined);
      chromaBacklog.push(work);
      if (chromaBacklog.length > 3) await chromaBacklog.shift();
    }
    const t = performance.now();
    await local.large.upsert('lines', batch);
    hnswMs += performance.now() - t;
    if (inSmall.length > 0) await local.small.upsert('lines', inSmall);
    await exactLarge.upsert('lines', batch);
    done += batch.length;
    if (done >= nextReport) {
      progress(`indexes: ${done}/${largeSize} vectors, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      nextReport += Math.max(10_000, largeSize / 10);
    }
  }
  await Promise.all(chromaBacklog);
  for (const index of [local.small, local.large]) index.insertEf = mergeEf;
  const counts: [string, VectorIndex, number][] = [
    ['local small', local.small, Math.min(smallSize, largeSize)],
    ['local large', local.large, largeSize],
    ['exact large', exactLarge, largeSize],
    ...(chroma
      ? ([
          ['chroma small', chroma.small, Math.min(smallSize, largeSize)],
          ['chroma large', chroma.large, largeSize],
        ] as [string, VectorIndex, number][])
      : []),
  ];
  for (const [name, index, want] of counts) {
    const got = await index.count('lines');
    if (got !== want) throw new Error(`${name} index holds ${got} line vectors, expected ${want}`);
  }
  return {
    smallSize,
    largeSize,
    local,
    exactLarge,
    chroma,
    chromaError,
    hnswLargeBuildSeconds: hnswMs / 1000,
    fillSeconds: (performance.now() - started) / 1000,
    stop: async () => {
      await server?.stop();
    },
  };
}
