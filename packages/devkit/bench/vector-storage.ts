/**
 * Vector storage modes (docs/vector-storage.md, docs/benchmarks.md#vector-storage-modes-vector_storage):
 * at each index size, the cold load, the warm catch-up and the warm query p50 of the follower
 * process-OCR-results runs, in `efs` mode (a directory with EFS's latency injected) and in `s3`
 * mode (fauxqs with S3's latency injected), and the warm query p50 of the `server` mode (a local
 * Chroma server holding the same vectors, over HTTP).
 *
 * One index is built once, growing from the smallest size to the largest, by one fenced writer
 * (what compaction runs) whose writes go to the directory and, from the first measured size on,
 * to the bucket as well (one S3 segment per append, as compaction leaves them). At each size the
 * writer checkpoints, appends a tail of `TAIL_OPS` receipts, and then:
 * - cold load: a new follower per mode loads the snapshot and replays the tail;
 * - warm catch-up: the writer appends a delta of 1 receipt (and of `BIG_DELTA` receipts), and
 *   each warm follower catches up; the same deltas at every size, so the figures show whether
 *   the cost follows the delta or the index;
 * - warm query: k = 10, the refresh interval not elapsed (no storage read), interleaved over the
 *   three modes with the same probes.
 * Then, once, the S3 requests compaction makes per merge and per checkpoint (the cost model's
 * s3 line, docs/cost.md) are counted on a small separate index.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import { S3VectorIndexFiles } from '@receiptflow/adapters-aws/vector';
import {
  FsVectorIndexFiles,
  HnswFencedWriterVectorIndex,
  HnswFollowerVectorIndex,
} from '@receiptflow/adapters-local/vector';
import type { VectorRecord } from '@receiptflow/core';
import { ChromaClient } from 'chromadb';
import { startChromaServer, type ChromaServer } from '../src/chroma/index.js';
import { createTestS3Client, startFauxqs } from '../src/emulators/index.js';
import { fillerRecords, queryVectors } from './filler.js';
import {
  copyIndexFiles,
  EfsLikeIndexFiles,
  putLargeObjects,
  simulateS3Network,
  SimulatedLink,
  StorageCounter,
  TeeVectorIndexFiles,
} from './simulated-storage.js';
import { median, percentile, round } from './stats.js';

/**
 * Per EFS file operation. AWS publishes ~1 ms per read operation for a Regional General Purpose
 * file system (elastic throughput; "EFS performance specifications"); an open + read + close of
 * a file is about three NFS round trips, so 3 ms per file read.
 */
export const EFS_OP_LATENCY_MS = 3;
/**
 * Per S3 request, to first byte. AWS's S3 performance guidance puts the median of small requests
 * "in the tens of milliseconds"; 20 ms is the low end of that, from a Lambda in the same region.
 */
export const S3_REQUEST_LATENCY_MS = 20;
/**
 * The Lambda's link, the same for both modes: 100 MiB/s. A single Lambda's network throughput is
 * in the low hundreds of MiB/s whatever it reads; EFS (1,500 MiB/s per client) and S3 (parallel
 * ranged GETs) can both fill it, so the link, not the service, bounds a cold load.
 */
export const LINK_MIB_PER_S = 100;
const LINK_BYTES_PER_MS = (LINK_MIB_PER_S * 1024 * 1024) / 1000;

const DIMS = 512;
/** One receipt's line vectors as compaction merges them: one op of ~25 vectors. */
const PER_RECEIPT = 25;
/** Receipts appended after each checkpoint, before the cold load (a log tail to replay). */
const TAIL_OPS = 40;
/** The larger warm delta, in receipts. */
const BIG_DELTA = 8;
const WARM_ROUNDS = 10;
const BIG_ROUNDS = 4;
const QUERIES = 200;
const WRITER_TOKEN = 1;
/**
 * The bench's writer builds its graph with a beam of 40 instead of compaction's 100: building
 * 200k vectors at 100 takes most of an hour on a shared 2-core machine. What is measured does
 * not depend on it: a cold load decodes the graph as stored (same M, same size), and the
 * followers insert each delta with the default beam of 100, as process-OCR-results does. The
 * graph's query quality does; P4 measures queries on a graph built at 100.
 */
const BUILD_EF_CONSTRUCTION = 40;
/**
 * Followers catch up only when told to (catchUp), so a query reads no storage: what a results
 * container does between two refreshes (`refreshAfterMs`, 1 s in production).
 */
const followerOptions = { dimensions: DIMS, refreshAfterMs: 60 * 60_000 };

export interface VectorStorageOptions {
  /** Index sizes to measure, ascending (e.g. 20,000 and 200,000). */
  sizes: number[];
  /** Fill a local Chroma server with the same vectors for the server mode's query p50. */
  chroma: boolean;
  progress: (line: string) => void;
}

type Figures = Record<string, number | string | null>;

/** Pulls records from the filler generator in the counts asked for. */
class RecordSource {
  private buffer: VectorRecord[] = [];
  private readonly source: AsyncGenerator<VectorRecord[]>;

  constructor(total: number) {
    this.source = fillerRecords(total, { collection: 'lines', batchSize: 1000 });
  }

  async take(n: number): Promise<VectorRecord[]> {
    while (this.buffer.length < n) {
      const next = await this.source.next();
      if (next.done) throw new Error(`filler ran out of records (wanted ${n} more)`);
      this.buffer.push(...next.value);
    }
    return this.buffer.splice(0, n);
  }
}

/** Runs the measurement; everything it starts is stopped, and its files removed, on the way out. */
export async function measureVectorStorage(options: VectorStorageOptions): Promise<Figures> {
  const { sizes, progress } = options;
  const largest = sizes.at(-1)!;
  const extraPerSize = (TAIL_OPS + WARM_ROUNDS + BIG_ROUNDS * BIG_DELTA) * PER_RECEIPT;
  const records = new RecordSource(largest + sizes.length * extraPerSize);
  const root = await mkdtemp(join(tmpdir(), 'rf-bench-vectors-'));
  const fauxqs = await startFauxqs();
  let chroma: ChromaServer | undefined;
  const out: Figures = {
    efs_op_latency_ms: EFS_OP_LATENCY_MS,
    s3_request_latency_ms: S3_REQUEST_LATENCY_MS,
    link_mib_per_s: LINK_MIB_PER_S,
    per_receipt_vectors: PER_RECEIPT,
    big_delta_receipts: BIG_DELTA,
  };
  try {
    const bucket = 'bench-vectors';
    const setupClient = createTestS3Client(fauxqs.endpoint);
    putLargeObjects(setupClient);
    await setupClient.send(new CreateBucketCommand({ Bucket: bucket }));
    const s3Files = (client: S3Client, prefix: string) => new S3VectorIndexFiles(client, { bucket, prefix });

    let server: ChromaVectorIndex | undefined;
    if (options.chroma) {
      try {
        chroma = await startChromaServer();
        const client = new ChromaClient({ host: chroma.host, port: chroma.port });
        server = new ChromaVectorIndex(client, { dimensions: DIMS, maxBatchSize: 5000, requestTimeoutMs: 120_000 });
      } catch (error) {
        out.server_error = error instanceof Error ? error.message : String(error);
        progress(`vector storage: chroma unavailable: ${out.server_error}`);
      }
    }

    const tee = new TeeVectorIndexFiles(
      new FsVectorIndexFiles(root, { fsync: false }),
      s3Files(setupClient, 'index/lines'),
    );
    const writer = new HnswFencedWriterVectorIndex({
      files: tee,
      dimensions: DIMS,
      efConstruction: BUILD_EF_CONSTRUCTION,
      checkpointEvery: Number.MAX_SAFE_INTEGER,
      keepSnapshots: 1,
    });
    await writer.fence(WRITER_TOKEN);
    // Chroma inserts in its own process while this one inserts into the graph.
    const write = async (batch: VectorRecord[]) => {
      await Promise.all([writer.upsert('lines', batch), server?.upsert('lines', batch)]);
    };
    const probes = await queryVectors(QUERIES);
    let written = 0;
    let buildMs = 0;
    for (const size of sizes) {
      const started = performance.now();
      while (written < size) {
        const batch = await records.take(Math.min(1000, size - written));
        await write(batch);
        written += batch.length;
        if (written % 20_000 === 0 || written === size)
          progress(
            `vector storage: ${written}/${size} vectors written, ${((performance.now() - started) / 1000).toFixed(0)} s`,
          );
      }
      await writer.checkpoint();
      if (!tee.mirror) {
        // The bucket starts from the directory's state; from here on every write goes to both.
        await copyIndexFiles(root, s3Files(setupClient, 'index/lines'), WRITER_TOKEN);
        tee.mirror = true;
      }
      for (let r = 0; r < TAIL_OPS; r++) await write(await records.take(PER_RECEIPT));
      written += TAIL_OPS * PER_RECEIPT;
      buildMs += performance.now() - started;
      const key = (mode: string, figure: string) => `${mode}.${size}.${figure}`;
      out[`vectors.${size}`] = await writer.count('lines');

      // Cold load, one mode after the other (each alone on the link and the CPU).
      const link = { efs: new SimulatedLink(LINK_BYTES_PER_MS), s3: new SimulatedLink(LINK_BYTES_PER_MS) };
      const efsFiles = new EfsLikeIndexFiles(root, link.efs, EFS_OP_LATENCY_MS);
      const s3Client = createTestS3Client(fauxqs.endpoint);
      const s3Counter = simulateS3Network(s3Client, link.s3, S3_REQUEST_LATENCY_MS);
      const followers = {
        efs: { index: new HnswFollowerVectorIndex({ files: efsFiles, ...followerOptions }), counter: efsFiles.counter },
        s3: {
          index: new HnswFollowerVectorIndex({ files: s3Files(s3Client, 'index/lines'), ...followerOptions }),
          counter: s3Counter,
        },
      };
      for (const [mode, { index, counter }] of Object.entries(followers)) {
        progress(`vector storage: ${mode} cold load at ${size}`);
        const before = counter.snapshot();
        const t = performance.now();
        const result = await index.catchUp();
        out[key(mode, 'cold_load_ms')] = round(performance.now() - t, 0);
        if (result.kind !== 'cold') throw new Error(`${mode} follower's first catch-up was ${result.kind}`);
        out[key(mode, 'cold_load_mb')] = round((counter.bytes - before.bytes) / 1e6, 1);
        out[key(mode, 'cold_load_requests')] = counter.operations - before.operations;
        out[key(mode, 'cold_load_io_ms')] = round(counter.busyMs - before.busyMs, 0);
      }
      if (size === sizes[0])
        out.snapshot_bytes_per_vector = round(
          ((out[key('efs', 'cold_load_mb')] as number) * 1e6) / (out[`vectors.${size}`] as number),
          0,
        );

      // Warm catch-up: the same deltas at every size.
      for (const [label, receipts, rounds] of [
        ['warm_1', 1, WARM_ROUNDS],
        [`warm_${BIG_DELTA}`, BIG_DELTA, BIG_ROUNDS],
      ] as const) {
        progress(`vector storage: warm catch-up of ${receipts} receipt(s) at ${size}`);
        const times: Record<string, number[]> = { efs: [], s3: [] };
        const reads: Record<string, { bytes: number[]; requests: number[]; io: number[] }> = {
          efs: { bytes: [], requests: [], io: [] },
          s3: { bytes: [], requests: [], io: [] },
        };
        for (let r = 0; r < rounds; r++) {
          for (let i = 0; i < receipts; i++) await write(await records.take(PER_RECEIPT));
          written += receipts * PER_RECEIPT;
          // Alternate which mode goes first, so neither always runs right after the writer.
          const order = r % 2 === 0 ? (['efs', 's3'] as const) : (['s3', 'efs'] as const);
          for (const mode of order) {
            const { index, counter } = followers[mode];
            const before = counter.snapshot();
            const t = performance.now();
            const result = await index.catchUp();
            times[mode]!.push(performance.now() - t);
            if (result.kind !== 'warm' || result.ops !== receipts)
              throw new Error(`${mode} warm catch-up applied ${JSON.stringify(result)}, expected ${receipts} ops`);
            reads[mode]!.bytes.push(counter.bytes - before.bytes);
            reads[mode]!.requests.push(counter.operations - before.operations);
            reads[mode]!.io.push(counter.busyMs - before.busyMs);
          }
        }
        for (const mode of ['efs', 's3']) {
          out[key(mode, `${label}_ms`)] = round(median(times[mode]!), 1);
          out[key(mode, `${label}_kb`)] = round(median(reads[mode]!.bytes) / 1000, 1);
          out[key(mode, `${label}_requests`)] = median(reads[mode]!.requests);
          out[key(mode, `${label}_io_ms`)] = round(median(reads[mode]!.io), 1);
        }
      }

      // Warm queries, interleaved over the modes, after a short warm-up.
      progress(`vector storage: warm queries at ${size}`);
      const modes: [string, { query: HnswFollowerVectorIndex['query'] }][] = [
        ['efs', followers.efs.index],
        ['s3', followers.s3.index],
        ...(server ? ([['server', server]] as [string, ChromaVectorIndex][]) : []),
      ];
      for (const [, index] of modes)
        for (const vector of probes.slice(0, 20)) await index.query('lines', { vector, k: 10 });
      const times = new Map<string, number[]>(modes.map(([m]) => [m, []]));
      for (const vector of probes) {
        for (const [mode, index] of modes) {
          const t = performance.now();
          await index.query('lines', { vector, k: 10 });
          times.get(mode)!.push(performance.now() - t);
        }
      }
      for (const [mode, ts] of times) {
        out[key(mode, 'query_p50_ms')] = round(percentile(ts, 0.5), 2);
        out[key(mode, 'query_p95_ms')] = round(percentile(ts, 0.95), 2);
      }
      for (const { index } of Object.values(followers)) await index.close();
      if (server) {
        // Beyond the first size the server's p50 is P4's (pnpm bench fills Chroma with the same
        // filler vectors at the large size): filling it here again would double the longest step.
        server = undefined;
        await chroma?.stop();
        chroma = undefined;
      }
    }
    out.build_s = round(buildMs / 1000, 0);
    await writer.close();

    progress('vector storage: compaction S3 requests per merge and per checkpoint');
    Object.assign(out, await countCompactionRequests(fauxqs.endpoint, bucket, new RecordSource(2_000)));
    return out;
  } finally {
    await chroma?.stop();
    await fauxqs.stop();
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * The S3 requests compaction makes in s3 mode, counted on a small index of its own (they do not
 * depend on its size): a warm container's merge of one receipt (fence: catch up on the other
 * container's segment and record the token; append: re-read the manifest, PUT a segment), and a
 * checkpoint.
 */
async function countCompactionRequests(endpoint: string, bucket: string, records: RecordSource): Promise<Figures> {
  const client = createTestS3Client(endpoint);
  const counter = new StorageCounter();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counter.count(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'benchCountRequests' },
  );
  const files = () => new S3VectorIndexFiles(client, { bucket, prefix: 'merges/lines' });
  const options = { dimensions: DIMS, checkpointEvery: Number.MAX_SAFE_INTEGER };
  // Two compaction containers taking turns: each merge's fence catches up on the other's segment.
  const containers = [
    new HnswFencedWriterVectorIndex({ files: files(), ...options }),
    new HnswFencedWriterVectorIndex({ files: files(), ...options }),
  ];
  await containers[0]!.fence(1);
  await containers[0]!.upsert('lines', await records.take(1_000));
  containers[0]!.unfence();
  let token = 2;
  let last: Record<string, number> = {};
  const delta = (before: Record<string, number>, after: Record<string, number>) =>
    Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - (before[k] ?? 0)]));
  // The first merge of the second container is a cold load; the last of these is warm.
  for (let merge = 0; merge < 4; merge++, token++) {
    const writer = containers[token % 2]!;
    const before = counter.snapshot().byKind;
    await writer.fence(token);
    await writer.upsert('lines', await records.take(PER_RECEIPT));
    writer.unfence();
    last = delta(before, counter.snapshot().byKind);
  }
  const writer = containers[token % 2]!;
  await writer.fence(token);
  const before = counter.snapshot().byKind;
  await writer.checkpoint();
  const checkpointed = delta(before, counter.snapshot().byKind);
  for (const c of containers) await c.close();
  const kinds = (byKind: Record<string, number>) => ({
    get: (byKind.GetObjectCommand ?? 0) + (byKind.HeadObjectCommand ?? 0),
    put: byKind.PutObjectCommand ?? 0,
    list: byKind.ListObjectsV2Command ?? 0,
    delete: byKind.DeleteObjectCommand ?? 0,
  });
  const merge = kinds(last);
  const checkpoint = kinds(checkpointed);
  return {
    'compaction.merge_get_head': merge.get,
    'compaction.merge_put': merge.put,
    'compaction.merge_list': merge.list,
    'compaction.checkpoint_get_head': checkpoint.get,
    'compaction.checkpoint_put': checkpoint.put,
    'compaction.checkpoint_list': checkpoint.list,
    'compaction.checkpoint_delete': checkpoint.delete,
  };
}
