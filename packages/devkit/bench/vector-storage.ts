/**
 * Vector storage modes (docs/vector-storage.md): cold load, warm catch-up and warm query p50 of
 * the `efs` follower, over a directory that stands in for the EFS mount with injected latency.
 *
 * EFS is emulated, not measured: every file operation of the follower (one `read` or `readFrom`,
 * each an open + read + close over NFS) waits EFS_OP_LATENCY_MS first, and its bytes move at
 * EFS_BYTES_PER_MS. Why these figures: EFS General Purpose is documented with sub-millisecond to
 * single-digit-millisecond latency per operation, and an NFS open/read/close is several round
 * trips, so 3 ms per file operation sits in the middle of that range; 100 MiB/s is a modest
 * Lambda-to-EFS read rate (elastic throughput allows more per file system, a single client's
 * NFS stream reaches less than its network link).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HnswFencedWriterVectorIndex,
  HnswFollowerVectorIndex,
  FsVectorIndexFiles,
} from '@receiptflow/adapters-local/vector';
import type { VectorRecord } from '@receiptflow/core';
import { median, percentile, round } from './stats.js';

export const EFS_OP_LATENCY_MS = 3;
/** 100 MiB/s. */
export const EFS_BYTES_PER_MS = (100 * 1024 * 1024) / 1000;
const DIMS = 512;
/** Vectors per compaction op: about one receipt's lines. */
const PER_RECEIPT = 25;

/** The index files of a directory, each read delayed as EFS would delay it. */
class LatencyIndexFiles extends FsVectorIndexFiles {
  operations = 0;
  bytes = 0;
  override async read(path: string) {
    return this.delayed(await super.read(path));
  }
  override async readVersioned(path: string) {
    const found = await super.readVersioned(path);
    await this.delayed(found?.bytes);
    return found;
  }
  override async readLog(path: string, offset: number) {
    return this.delayed(await super.readLog(path, offset));
  }
  private async delayed<T extends Uint8Array | undefined>(bytes: T): Promise<T> {
    this.operations++;
    this.bytes += bytes?.length ?? 0;
    await sleep(EFS_OP_LATENCY_MS + (bytes?.length ?? 0) / EFS_BYTES_PER_MS);
    return bytes;
  }
}

function receipt(seed: number, n: number): VectorRecord[] {
  let state = seed * 2654435761 + 1;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  return Array.from({ length: n }, (_, i) => ({
    id: `r${seed}-${i}`,
    vector: Array.from({ length: DIMS }, next),
    document: `line ${i} of receipt ${seed}`,
    metadata: { image_id: `img-${seed}`, receipt_id: 1, line: i },
  }));
}

export interface VectorStorageFigures {
  vectors: number;
  efs_op_latency_ms: number;
  efs_read_mib_per_s: number;
  /** Snapshot + log tail of `tail_ops` ops, through the latency files. */
  efs_cold_load_ms: number;
  efs_cold_load_bytes: number;
  efs_cold_load_operations: number;
  tail_ops: number;
  /** Median over `warm_rounds`: one receipt appended by the writer, then caught up. */
  efs_warm_catch_up_ms: number;
  efs_warm_catch_up_bytes: number;
  warm_rounds: number;
  /** k = 10 over the loaded follower, refresh interval not elapsed (no file read). */
  efs_warm_query_p50_ms: number;
  efs_warm_query_p95_ms: number;
  /** Writing the index (the bench's setup), for scale. */
  build_ms: number;
}

/**
 * Builds an index of `vectors` (compaction-sized upserts through the fenced writer, a checkpoint,
 * then a tail of `tailOps`), then measures a follower over the latency files.
 */
export async function measureVectorStorage(
  vectors: number,
  progress: (line: string) => void,
): Promise<VectorStorageFigures> {
  const root = await mkdtemp(join(tmpdir(), 'rf-bench-efs-'));
  try {
    const writer = new HnswFencedWriterVectorIndex({
      files: new FsVectorIndexFiles(root, { fsync: false }),
      dimensions: DIMS,
      checkpointEvery: Number.MAX_SAFE_INTEGER,
    });
    await writer.fence(1);
    const started = performance.now();
    const receipts = Math.ceil(vectors / PER_RECEIPT);
    for (let r = 0; r < receipts; r++) {
      await writer.upsert('lines', receipt(r, PER_RECEIPT));
      if (r % 200 === 0) progress(`vector storage: writing ${r * PER_RECEIPT}/${vectors} vectors`);
    }
    await writer.checkpoint();
    const tailOps = 40;
    for (let r = 0; r < tailOps; r++) await writer.upsert('lines', receipt(receipts + r, PER_RECEIPT));
    const build_ms = performance.now() - started;

    progress('vector storage: efs cold load');
    const files = new LatencyIndexFiles(root);
    const follower = new HnswFollowerVectorIndex({ files, dimensions: DIMS, refreshAfterMs: 0 });
    const coldStart = performance.now();
    await follower.catchUp();
    const efs_cold_load_ms = performance.now() - coldStart;
    const cold = { bytes: files.bytes, operations: files.operations };

    progress('vector storage: efs warm catch-up');
    const warm: number[] = [];
    const warmBytes: number[] = [];
    const rounds = 20;
    for (let r = 0; r < rounds; r++) {
      await writer.upsert('lines', receipt(receipts + tailOps + r, PER_RECEIPT));
      const before = files.bytes;
      const t = performance.now();
      const result = await follower.catchUp();
      warm.push(performance.now() - t);
      warmBytes.push(files.bytes - before);
      if (result.kind !== 'warm' || result.ops !== 1)
        throw new Error(`warm catch-up applied ${JSON.stringify(result)}, expected one op`);
    }

    progress('vector storage: efs warm queries');
    const queryFollower = new HnswFollowerVectorIndex({
      files: new FsVectorIndexFiles(root),
      dimensions: DIMS,
      refreshAfterMs: 60_000,
    });
    await queryFollower.catchUp();
    const probes = receipt(7, 200).map((r) => r.vector);
    const times: number[] = [];
    for (const vector of probes) {
      const t = performance.now();
      await queryFollower.query('lines', { vector, k: 10 });
      times.push(performance.now() - t);
    }
    const count = await follower.count('lines');
    await writer.close();
    return {
      vectors: count,
      efs_op_latency_ms: EFS_OP_LATENCY_MS,
      efs_read_mib_per_s: 100,
      efs_cold_load_ms: round(efs_cold_load_ms, 1),
      efs_cold_load_bytes: cold.bytes,
      efs_cold_load_operations: cold.operations,
      tail_ops: tailOps,
      efs_warm_catch_up_ms: round(median(warm), 2),
      efs_warm_catch_up_bytes: median(warmBytes),
      warm_rounds: rounds,
      efs_warm_query_p50_ms: round(percentile(times, 0.5), 3),
      efs_warm_query_p95_ms: round(percentile(times, 0.95), 3),
      build_ms: round(build_ms, 0),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
