import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { S3VectorIndexFiles } from '@receiptflow/adapters-aws/vector';
import {
  FsVectorIndexFiles,
  HnswFencedWriterVectorIndex,
  HnswFollowerVectorIndex,
} from '@receiptflow/adapters-local/vector';
import type { VectorRecord } from '@receiptflow/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copyIndexFiles,
  EfsLikeIndexFiles,
  simulateS3Network,
  SimulatedLink,
  TeeVectorIndexFiles,
} from '../../bench/simulated-storage.js';
import { stackFileFor } from '../../bench/storage-costs.js';
import { createTestS3Client, startFauxqs, type RunningFauxqs } from '../../src/emulators/index.js';

const DIMS = 8;
const records = (from: number, n: number): VectorRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `r${from + i}`,
    vector: Array.from({ length: DIMS }, (_, d) => Math.sin((from + i + 1) * (d + 1))),
    document: `line ${from + i}`,
    metadata: { n: from + i },
  }));

describe('SimulatedLink', () => {
  it('overlaps latencies but queues bytes behind the bytes already on the link', () => {
    let now = 0;
    const link = new SimulatedLink(10, () => now); // 10 bytes per ms
    expect(link.reserve(3, 100)).toBe(13); // 3 ms latency + 10 ms of bytes
    expect(link.reserve(3, 100)).toBe(23); // sent at once: waits for the first transfer
    now = 50;
    expect(link.reserve(3, 0)).toBe(53); // idle link: latency only
  });
});

describe('bench storage setup (one index, read through a directory and through S3)', () => {
  let fauxqs: RunningFauxqs;
  let dir: string;
  const bucket = 'bench-setup';

  beforeAll(async () => {
    fauxqs = await startFauxqs();
    await createTestS3Client(fauxqs.endpoint).send(new CreateBucketCommand({ Bucket: bucket }));
    dir = await mkdtemp(join(tmpdir(), 'rf-bench-setup-'));
  }, 60_000);
  afterAll(async () => {
    await fauxqs?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('copies the checkpointed index to S3, mirrors later appends as segments, and both followers agree', async () => {
    const client = createTestS3Client(fauxqs.endpoint);
    const s3 = () => new S3VectorIndexFiles(client, { bucket, prefix: 'copy/lines' });
    const tee = new TeeVectorIndexFiles(new FsVectorIndexFiles(dir, { fsync: false }), s3());
    const writer = new HnswFencedWriterVectorIndex({ files: tee, dimensions: DIMS, checkpointEvery: 1_000_000 });
    await writer.fence(1);
    await writer.upsert('lines', records(0, 40));
    await writer.checkpoint();
    // Not mirrored yet: the bucket is empty until the copy.
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'copy/' }));
    expect(listed.Contents ?? []).toEqual([]);
    await copyIndexFiles(dir, s3(), 1);
    tee.mirror = true;
    for (let i = 0; i < 3; i++) await writer.upsert('lines', records(100 + i * 5, 5));

    const link = new SimulatedLink(1e9);
    const efsFiles = new EfsLikeIndexFiles(dir, link, 0);
    const s3Client = createTestS3Client(fauxqs.endpoint);
    const counter = simulateS3Network(s3Client, link, 0);
    const followers = [
      new HnswFollowerVectorIndex({ files: efsFiles, dimensions: DIMS }),
      new HnswFollowerVectorIndex({
        files: new S3VectorIndexFiles(s3Client, { bucket, prefix: 'copy/lines' }),
        dimensions: DIMS,
      }),
    ];
    for (const f of followers) expect((await f.catchUp()).kind).toBe('cold');
    for (const f of followers) expect(await f.count('lines')).toBe(55);
    const probe = records(102, 1)[0]!.vector;
    const answers = await Promise.all(followers.map((f) => f.query('lines', { vector: probe, k: 3 })));
    expect(answers[1]!.map((m) => m.id)).toEqual(answers[0]!.map((m) => m.id));
    expect(answers[0]![0]!.id).toBe('r102');
    // The three mirrored appends are three segments of the live S3 log (a copied log is one).
    const segments = await s3Client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'copy/lines/lines.' }));
    const perLog = new Map<string, number>();
    for (const { Key } of segments.Contents ?? [])
      if (/\/\d{16}-\d{16}$/.test(Key!)) perLog.set(Key!.split('/')[2]!, (perLog.get(Key!.split('/')[2]!) ?? 0) + 1);
    expect([...perLog.values()].sort()).toEqual([1, 3]);
    expect(counter.byKind.get('GetObjectCommand')).toBeGreaterThanOrEqual(3);
    expect(counter.bytes).toBeGreaterThan(0);
    expect(efsFiles.counter.bytes).toBeGreaterThan(0);

    // A warm catch-up after one more append reads only that append, in both.
    await writer.upsert('lines', records(200, 5));
    const before = [efsFiles.counter.bytes, counter.bytes];
    for (const f of followers) expect(await f.catchUp()).toMatchObject({ kind: 'warm', ops: 1 });
    const read = [efsFiles.counter.bytes - before[0]!, counter.bytes - before[1]!];
    expect(read[1]).toBe(read[0]);
    for (const f of followers) await f.close();
    await writer.close();
  }, 120_000);
});

describe('stackFileFor', () => {
  it('changes only the storage mode of the example stack file, adding a Fargate Chroma for server', async () => {
    const example = await readFile(new URL('../../../infra/Pulumi.dev.yaml', import.meta.url), 'utf8');
    expect(stackFileFor(example, 's3')).toContain('  receiptflow:vectorStorageMode: s3\n');
    const server = stackFileFor(example, 'server');
    expect(server).toContain('  receiptflow:vectorStorageMode: server\n  receiptflow:chromaMode: fargate\n');
    expect(stackFileFor(example, 'efs').split('\n').length).toBe(example.split('\n').length);
    expect(() => stackFileFor('config: {}\n', 's3')).toThrow(/vectorStorageMode/);
  });
});
