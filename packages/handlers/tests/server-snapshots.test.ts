import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import {
  InMemoryCompactionLock,
  InMemoryJobTable,
  InMemorySnapshotStore,
  SystemClock,
  jobTableStores,
} from '@receiptflow/adapters-local';
import {
  CorruptSnapshotError,
  UnknownVectorSnapshotError,
  compact,
  deltaKey,
  encodeVectorDeltaBytes,
  listVectorSnapshots,
  restoreVectorSnapshot,
  verifyVectorSnapshot,
  vectorSnapshotKey,
  type CompactDeps,
  type CompactionLock,
  type CompactionMessage,
  type SnapshotStore,
  type VectorRecord,
  type VectorSnapshotDeps,
} from '@receiptflow/core';
import { makeCompactionRun, makeReceiptDetails } from '@receiptflow/core/testing';
import { startChromaServer, type ChromaServer } from '@receiptflow/devkit/chroma';
import {
  createTable,
  createTestDocumentClient,
  createTestDynamoDbClient,
  startDynalite,
  createBucket,
  uniqueResourceName,
} from '@receiptflow/devkit/emulators';
import { DynamoDbCompactionLock, DynamoDbSnapshotStore } from '@receiptflow/adapters-aws/dynamodb';
import { run } from '../src/cli/main.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { policyStatements } from '../../infra/src/iam-policies.js';
import { chromaClient } from '../src/container/aws/chroma-client.js';
import { fauxqsS3 } from '@receiptflow/devkit/emulators/suite';
import { collectingLogger } from './support/fixtures.js';
import { isAllowed, unusedGrants } from './support/iam-evaluate.js';
import { iamRequests, policyArnsWithVectorsBucket } from './support/iam-requests.js';
import { SdkCallRecorder } from './support/sdk-call-recorder.js';

// Issue 17, item 2: in server mode (Chroma) compaction writes real snapshot files of each
// collection under snapshots/<collection>/<id> in the vectors bucket (fauxqs here), streamed page
// by page from a real Chroma server, read back before the pointer names them, the last N kept;
// `restore` loads one into a fresh collection and swaps it in.

const DIMS = 16;
const CHILD = fileURLToPath(new URL('./support/snapshot-writer-child.mjs', import.meta.url));

let chroma: ChromaServer;
beforeAll(async () => {
  chroma = await startChromaServer({ startupTimeoutMs: 60_000 });
}, 90_000);
afterAll(async () => {
  await chroma?.stop();
});
const s3 = fauxqsS3();

let prefixes = 0;
// One recorder on the suite's one client; each test reads only the calls made in its own bucket.
let recorder: SdkCallRecorder | undefined;

async function setup(
  policy: { every: number; keep: number; pageSize?: number },
  shared: { lock?: CompactionLock; snapshots?: SnapshotStore; prefix?: string } = {},
) {
  const { client } = s3();
  if (!recorder) {
    recorder = new SdkCallRecorder();
    recorder.attach(client);
  }
  const calls = recorder;
  const bucket = await createBucket(client, 'vectors');
  const clock = new SystemClock();
  const { receipts, runs } = jobTableStores(new InMemoryJobTable(), { clock });
  // The vectors bucket: deltas and (server mode) snapshot files, as the compaction module wires it.
  const store = new S3ImageStore(client, { bucket });
  const prefix = shared.prefix ?? `snap${Date.now().toString(36)}${++prefixes}_`;
  const vectors = new ChromaVectorIndex(chromaClient(chroma.url), { collectionPrefix: prefix, dimensions: DIMS });
  const snapshotDeps: VectorSnapshotDeps = { transfer: vectors, vectors, store, dimensions: DIMS, ...policy };
  const logger = collectingLogger();
  const lock = shared.lock ?? new InMemoryCompactionLock({ clock });
  const snapshots = shared.snapshots ?? new InMemorySnapshotStore();
  const deps: CompactDeps = {
    receipts,
    runs,
    deltas: store,
    vectors,
    lock,
    snapshots,
    clock,
    logger,
    vectorSnapshots: snapshotDeps,
  };
  let receiptNo = 0;
  /** One receipt's lines delta of `n` records, merged by compaction (as the compaction Lambda). */
  async function mergeReceipt(n: number, over: Partial<CompactDeps> = {}) {
    const details = makeReceiptDetails();
    const { image_id, receipt_id } = details.receipt;
    await receipts.create(details);
    const tag = `r${++receiptNo}`;
    const records: VectorRecord[] = Array.from({ length: n }, (_, i) => ({
      id: `${tag}-${i}`,
      vector: Array.from({ length: DIMS }, (_, d) => Math.sin(receiptNo * 31 + i * 7 + d) + 1.5),
      document: `${tag} line ${i}`,
      metadata: { image_id, receipt_id, line_id: i + 1, tag },
    }));
    const run = makeCompactionRun({ image_id, receipt_id });
    run.lines.delta_key = deltaKey('lines', run.run_id);
    await store.put(
      run.lines.delta_key,
      encodeVectorDeltaBytes({ run_id: run.run_id, image_id, receipt_id, collection: 'lines' }, DIMS, records),
    );
    await runs.create(run);
    const message: CompactionMessage = {
      kind: 'merge',
      collection: 'lines',
      run_id: run.run_id,
      image_id,
      receipt_id,
      delta_key: run.lines.delta_key,
    };
    const outcome = await calls.as('compaction', () =>
      compact({ ...deps, ...over }, [{ id: tag, body: message }], { owner: `test-${tag}`, heartbeat: false }),
    );
    expect(outcome.failed).toEqual([]);
    return records;
  }
  const keys = async (under = 'snapshots/') =>
    ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: under }))).Contents ?? []).map(
      (o) => o.Key!,
    );
  const restoreDeps = { ...snapshotDeps, lock, snapshots, clock, logger };
  return { client, bucket, store, vectors, prefix, deps, snapshots, mergeReceipt, keys, recorder: calls, restoreDeps };
}

async function allRecords(vectors: ChromaVectorIndex): Promise<VectorRecord[]> {
  const out: VectorRecord[] = [];
  for await (const page of vectors.scan('lines')) out.push(...page);
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

function expectSameRecords(actual: VectorRecord[], expected: VectorRecord[]) {
  const want = [...expected].sort((a, b) => a.id.localeCompare(b.id));
  expect(actual.map((r) => r.id)).toEqual(want.map((r) => r.id));
  actual.forEach((r, i) => {
    expect(r.document).toBe(want[i]!.document);
    expect(r.metadata).toEqual(want[i]!.metadata);
    r.vector.forEach((v, d) => expect(v).toBeCloseTo(want[i]!.vector[d]!, 5));
  });
}

describe('server-mode snapshots (real Chroma, fauxqs)', () => {
  it(
    'compaction writes a snapshot file every N changed records, names it in the pointer once read back, keeps the last N',
    { timeout: 120_000 },
    async () => {
      const t = await setup({ every: 10, keep: 2, pageSize: 4 });
      const first = await t.mergeReceipt(6);
      // 6 changes < 10: no snapshot yet, the count carries over.
      expect(await t.keys()).toEqual([]);
      expect(await t.snapshots.current('lines')).toMatchObject({ version: 1, changes_since_snapshot: 6 });
      expect((await t.snapshots.current('lines'))?.snapshot_key).toBeUndefined();

      const second = await t.mergeReceipt(6);
      const v2 = vectorSnapshotKey('lines', 'v0000000002');
      expect(await t.snapshots.current('lines')).toMatchObject({
        version: 2,
        snapshot_key: v2,
        changes_since_snapshot: 0,
        vector_count: 12,
      });
      expect(await t.keys()).toEqual([v2]);
      // The file is the collection: read back through the same checks a restore makes.
      expect(await verifyVectorSnapshot(t.store, 'lines', 'v0000000002')).toMatchObject({ count: 12 });

      await t.mergeReceipt(12);
      await t.mergeReceipt(12);
      await t.mergeReceipt(12);
      // Five promotions, four snapshots written (v2..v5), the last 2 kept.
      expect(await t.keys()).toEqual([
        vectorSnapshotKey('lines', 'v0000000004'),
        vectorSnapshotKey('lines', 'v0000000005'),
      ]);
      expect((await t.snapshots.current('lines'))?.snapshot_key).toBe(vectorSnapshotKey('lines', 'v0000000005'));
      expect((await verifyVectorSnapshot(t.store, 'lines', 'v0000000005')).count).toBe(48);
      expect((await verifyVectorSnapshot(t.store, 'lines', 'v0000000004')).count).toBe(36);
      expect(first.length + second.length).toBe(12);

      // IAM from real usage: compaction's server-mode role allows every call it made on the
      // vectors bucket (deltas and snapshots), and each snapshot grant was used.
      const requests = t.recorder.calls
        .filter((c) => c.fn === 'compaction' && c.input['Bucket'] === t.bucket)
        .flatMap(iamRequests);
      const statements = policyStatements('compaction', policyArnsWithVectorsBucket(t.bucket), {
        inVpc: true,
        vectorSnapshots: true,
      });
      expect(requests.filter((r) => !isAllowed(statements, r)).map((r) => `${r.action} on ${r.resource}`)).toEqual([]);
      const snapshotGrants = statements.filter((s) => ['WriteVectorSnapshots', 'ListVectorSnapshots'].includes(s.Sid));
      expect(snapshotGrants).toHaveLength(2);
      expect(unusedGrants(snapshotGrants, requests).map((u) => `${u.sid} ${u.grant}`)).toEqual([]);
      // Without the server-mode option, the snapshot calls are refused: the grant is what allows them.
      const without = policyStatements('compaction', policyArnsWithVectorsBucket(t.bucket), { inVpc: true });
      expect(requests.filter((r) => !isAllowed(without, r)).length).toBeGreaterThan(0);
    },
  );

  it(
    'restore round-trips the vectors, documents and metadata; the state before it is kept as a snapshot (undo)',
    { timeout: 120_000 },
    async () => {
      const t = await setup({ every: 10, keep: 3, pageSize: 5 });
      // What Chroma held (the merge adds the receipt's place to each record's metadata).
      await t.mergeReceipt(11); // v1 snapshot: a
      const a = await allRecords(t.vectors);
      await t.mergeReceipt(11); // v2 snapshot: a + b
      await t.mergeReceipt(4); // v3, no snapshot: 4 changes since v2
      const abc = await allRecords(t.vectors);
      expect((await t.snapshots.current('lines'))?.snapshot_key).toBe(vectorSnapshotKey('lines', 'v0000000002'));

      const outcome = await restoreVectorSnapshot(t.restoreDeps, 'lines', 'v0000000001', { owner: 'restore-test' });
      expectSameRecords(await allRecords(t.vectors), a);
      expect(await t.vectors.count('lines')).toBe(11);
      // The live state (a + b + c) was not in any snapshot: it was written first, as v3.
      expect(outcome.undo).toMatchObject({ id: 'v0000000003', count: 26 });
      expect(await t.snapshots.current('lines')).toMatchObject({
        version: 4,
        snapshot_key: vectorSnapshotKey('lines', 'v0000000001'),
        changes_since_snapshot: 0,
        vector_count: 11,
      });
      // Only the restored collection is left in Chroma (no staging or replaced one).
      const names = (await chromaClient(chroma.url).listCollections())
        .map((col) => col.name)
        .filter((n) => n.startsWith(t.prefix));
      expect(names).toEqual([`${t.prefix}lines`]);

      // Restoring the undo snapshot brings everything back.
      const undone = await restoreVectorSnapshot(t.restoreDeps, 'lines', 'v0000000003', { owner: 'restore-test' });
      expect(undone.undo).toBeNull(); // the pointer's snapshot (v1) was the live state
      expectSameRecords(await allRecords(t.vectors), abc);
      // Compaction continues on the restored collection (its cached handle was of the old one).
      const d = await t.mergeReceipt(2);
      expect(await t.vectors.count('lines')).toBe(28);
      expect((await t.vectors.get('lines', [d[0]!.id])).length).toBe(1);
    },
  );

  it(
    'a corrupt snapshot (checksum mismatch) is reported at restore and nothing is loaded; an unknown id names those stored',
    { timeout: 120_000 },
    async () => {
      const t = await setup({ every: 5, keep: 3 });
      await t.mergeReceipt(6); // v1
      const live = [...(await t.mergeReceipt(6))]; // v2
      const key = vectorSnapshotKey('lines', 'v0000000001');
      const object = await t.client.send(new GetObjectCommand({ Bucket: t.bucket, Key: key }));
      const bytes = new Uint8Array(await object.Body!.transformToByteArray());
      // One byte of a document changed: every frame still parses, only the checksum can tell.
      const at = Buffer.from(bytes).indexOf('line 3');
      expect(at).toBeGreaterThan(0);
      bytes[at] = 'L'.charCodeAt(0);
      await t.client.send(new PutObjectCommand({ Bucket: t.bucket, Key: key, Body: bytes }));
      const before = await t.snapshots.current('lines');

      const error = await restoreVectorSnapshot(t.restoreDeps, 'lines', 'v0000000001', { owner: 'r' }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CorruptSnapshotError);
      expect((error as CorruptSnapshotError).code).toBe('CORRUPT_SNAPSHOT');
      expect((error as Error).message).toMatch(/checksum/);
      // Nothing changed: the live collection, the pointer, the stored files, no staging collection.
      expect(await t.vectors.count('lines')).toBe(12);
      expect((await t.vectors.get('lines', [live[0]!.id])).length).toBe(1);
      expect(await t.snapshots.current('lines')).toEqual(before);
      expect(await t.keys()).toEqual([key, vectorSnapshotKey('lines', 'v0000000002')]);
      const names = (await chromaClient(chroma.url).listCollections())
        .map((col) => col.name)
        .filter((n) => n.startsWith(t.prefix));
      expect(names).toEqual([`${t.prefix}lines`]);

      const unknown = await restoreVectorSnapshot(t.restoreDeps, 'lines', 'v0000000009', { owner: 'r' }).catch(
        (e: unknown) => e,
      );
      expect(unknown).toBeInstanceOf(UnknownVectorSnapshotError);
      expect((unknown as Error).message).toContain('v0000000001, v0000000002');
    },
  );

  it(
    'a snapshot that fails part-way leaves the previous one current: the merge is promoted without it and the next one writes it',
    { timeout: 120_000 },
    async () => {
      const t = await setup({ every: 5, keep: 3, pageSize: 3 });
      await t.mergeReceipt(6); // v1 snapshot
      const v1 = vectorSnapshotKey('lines', 'v0000000001');
      const failing: VectorSnapshotDeps = {
        ...t.deps.vectorSnapshots!,
        transfer: {
          replaceCollection: (...args) => t.vectors.replaceCollection(...args),
          async *scan(collection, options) {
            let pages = 0;
            for await (const page of t.vectors.scan(collection, options)) {
              if (++pages === 3) throw new Error('chroma went away mid-scan');
              yield page;
            }
          },
        },
      };
      await t.mergeReceipt(6, { vectorSnapshots: failing });
      expect(await t.snapshots.current('lines')).toMatchObject({
        version: 2,
        snapshot_key: v1,
        changes_since_snapshot: 6,
        vector_count: 12,
      });
      expect(await t.keys()).toEqual([v1]);
      await t.mergeReceipt(1);
      expect(await t.snapshots.current('lines')).toMatchObject({
        version: 3,
        snapshot_key: vectorSnapshotKey('lines', 'v0000000003'),
        changes_since_snapshot: 0,
      });
      expect((await verifyVectorSnapshot(t.store, 'lines', 'v0000000003')).count).toBe(13);
    },
  );

  it(
    'a compaction container SIGKILLed mid-upload leaves no object under the new key; the previous snapshot stays current and restorable',
    { timeout: 240_000 },
    async () => {
      // 5,000 records of about 1.6 KB each (16 floats, a 1,500-character document): the child
      // pauses after 4,000 (about 6.3 MB streamed, so the multipart upload has its first part).
      const t = await setup({ every: 1, keep: 3 });
      await t.mergeReceipt(20); // v1: the previous snapshot
      const kept = await allRecords(t.vectors);
      const v1 = vectorSnapshotKey('lines', 'v0000000001');
      const big: VectorRecord[] = Array.from({ length: 5_000 }, (_, i) => ({
        id: `bulk-${i}`,
        vector: Array.from({ length: DIMS }, (_, d) => Math.cos(i + d) + 1.5),
        document: `bulk line ${i} ${'x'.repeat(1500)}`,
        metadata: { i },
      }));
      for (let i = 0; i < big.length; i += 1000) await t.vectors.upsert('lines', big.slice(i, i + 1000));
      const child = spawn(process.execPath, [CHILD], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: {
          ...process.env,
          CHROMA_URL: chroma.url,
          S3_ENDPOINT: s3().endpoint,
          BUCKET: t.bucket,
          PREFIX: t.prefix,
          DIMS: String(DIMS),
          SNAPSHOT_ID: 'v0000000002',
          PAUSE_AFTER_PAGES: '40', // 4,000 records in pages of 100
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('paused') && stderr.includes('uploaded a part')) resolve();
        });
        void exited.then(() => reject(new Error(`child exited before pausing:\n${stderr}`)));
      });
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');

      // Killed with the multipart upload under way (a part taken, never completed): nothing
      // under the new key, the previous snapshot the only one and still the pointer's.
      expect(await t.keys()).toEqual([v1]);
      expect((await listVectorSnapshots(t.store, 'lines')).map((s) => s.id)).toEqual(['v0000000001']);
      expect((await t.snapshots.current('lines'))?.snapshot_key).toBe(v1);
      // The previous snapshot is whole and restores.
      await restoreVectorSnapshot(t.restoreDeps, 'lines', 'v0000000001', { owner: 'after-kill' });
      expectSameRecords(await allRecords(t.vectors), kept);
    },
  );
});

async function cli(argv: string[]) {
  const lines: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }),
  );
  try {
    return { code: await run(argv), text: lines.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe('receipts restore --chroma (server mode: Chroma, the vectors bucket on fauxqs, the job table on dynalite)', () => {
  it(
    'lists the snapshot files and restores one under the compaction lock in the table',
    { timeout: 120_000 },
    async () => {
      // The CLI signs with the default credentials chain; the emulators accept any.
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
      const dynalite = await startDynalite();
      const client = createTestDynamoDbClient(dynalite.endpoint);
      const doc = createTestDocumentClient(dynalite.endpoint);
      try {
        const table = uniqueResourceName('jobs');
        await createTable(client, table);
        const clock = new SystemClock();
        const t = await setup(
          { every: 5, keep: 3 },
          {
            lock: new DynamoDbCompactionLock(doc, { tableName: table, clock }),
            snapshots: new DynamoDbSnapshotStore(doc, { tableName: table, clock }),
            // The deployed names (the AWS wiring and the CLI use no prefix); only this test uses them.
            prefix: '',
          },
        );
        await t.mergeReceipt(6); // v1
        const first = await allRecords(t.vectors);
        await t.mergeReceipt(6); // v2
        const where = [
          '--chroma',
          chroma.url,
          '--bucket',
          t.bucket,
          '--table',
          table,
          '--collection',
          'lines',
          '--dimensions',
          String(DIMS),
          '--region',
          'us-east-1',
          '--endpoint',
          s3().endpoint,
          '--table-endpoint',
          dynalite.endpoint,
        ];
        const listed = await cli(['restore', ...where, '--list']);
        expect(listed.code, listed.text).toBe(0);
        expect(listed.text).toMatch(/v0000000001\tcount=6\tbytes=\d+\n/);
        expect(listed.text).toMatch(/v0000000002\tcount=12\tbytes=\d+\t\(pointer\)/);

        const restored = await cli(['restore', ...where, '--snapshot', 'v0000000001']);
        expect(restored.code, restored.text).toBe(0);
        expect(restored.text).toContain('restored snapshot v0000000001 of lines: 6 vectors');
        expect((await t.snapshots.current('lines'))?.snapshot_key).toBe(vectorSnapshotKey('lines', 'v0000000001'));
        // The ChromaVectorIndex of the test held the replaced collection: one retryable failure, then the restored one.
        await t.vectors.count('lines').catch(() => undefined);
        expectSameRecords(await allRecords(t.vectors), first);

        const busy = await t.deps.lock.acquire('compaction:lines', 'a-compactor', 60_000);
        expect(busy).not.toBeNull();
        const refused = await cli(['restore', ...where, '--snapshot', 'v0000000002']);
        expect(refused.code).not.toBe(0);
        expect(refused.text).toMatch(/held by a compactor/);
        expect((await t.snapshots.current('lines'))?.snapshot_key).toBe(vectorSnapshotKey('lines', 'v0000000001'));

        const usage = await cli(['restore', '--chroma', chroma.url, '--list']);
        expect(usage.code).toBe(2);
        expect(usage.text).toContain('--bucket');
      } finally {
        client.destroy();
        doc.destroy();
        await dynalite.stop();
        vi.unstubAllEnvs();
      }
    },
  );
});
