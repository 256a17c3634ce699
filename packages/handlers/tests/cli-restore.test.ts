import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HnswVectorIndex } from '@receiptflow/adapters-local';
import { HnswFencedWriterVectorIndex, HnswFollowerVectorIndex } from '@receiptflow/adapters-local/vector';
import { S3VectorIndexFiles } from '@receiptflow/adapters-aws/vector';
import { createBucket } from '@receiptflow/devkit/emulators';
import { fauxqsS3 } from '@receiptflow/devkit/emulators/suite';
import { run } from '../src/cli/main.js';

const DIMS = 8;
const record = (id: string, seed: number) => ({
  id,
  vector: Array.from({ length: DIMS }, (_, i) => Math.sin(seed * 13 + i)),
  document: id,
  metadata: {},
});

function capture(stream: NodeJS.WriteStream) {
  const lines: string[] = [];
  const spy = vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return { text: () => lines.join(''), restore: () => spy.mockRestore() };
}

async function cli(argv: string[]) {
  const out = capture(process.stdout);
  const err = capture(process.stderr);
  try {
    const code = await run(argv);
    return { code, out: out.text(), err: err.text() };
  } finally {
    out.restore();
    err.restore();
  }
}

describe('receipts restore', () => {
  let data: string;
  beforeEach(async () => {
    data = await mkdtemp(join(tmpdir(), 'receipts-restore-'));
    const index = await HnswVectorIndex.open(join(data, 'vectors'), { dimensions: DIMS, fsync: false });
    await index.upsert('lines', [record('a', 1), record('b', 2)]);
    await index.checkpoint(); // snapshot 1: a, b
    await index.upsert('lines', [record('c', 3)]);
    await index.checkpoint(); // snapshot 2: a, b, c
    await index.close();
  });
  afterEach(async () => {
    await rm(data, { recursive: true, force: true });
  });

  it('--list prints each snapshot with its counts', async () => {
    const { code, out } = await cli(['restore', '--data', data, '--list']);
    expect(code).toBe(0);
    expect(out).toMatch(/^1\t\S+\tlines=2\twords=0\n2\t\S+\tlines=3\twords=0\n$/);
  });

  it('--snapshot ID makes that snapshot the live index', async () => {
    const { code, out } = await cli(['restore', '--data', data, '--snapshot', '1']);
    expect(code).toBe(0);
    expect(out).toContain('restored snapshot 1');
    const index = await HnswVectorIndex.open(join(data, 'vectors'), { dimensions: DIMS, fsync: false });
    expect((await index.findIds('lines', {})).sort()).toEqual(['a', 'b']);
    await index.close();
  });

  it('an unknown id exits 1 naming the id and the ids that exist', async () => {
    const { code, err } = await cli(['restore', '--data', data, '--snapshot', '42']);
    expect(code).toBe(1);
    expect(err).toContain('no snapshot "42" (available: 1, 2)');
    expect(err).toContain('[UNKNOWN_SNAPSHOT]');
  });

  it('usage mistakes exit 2', async () => {
    expect((await cli(['restore', '--list'])).code).toBe(2);
    expect((await cli(['restore', '--data', data])).code).toBe(2);
    expect((await cli(['restore', '--data', data, '--list', '--snapshot', '1'])).code).toBe(2);
  });
});

describe('receipts restore --s3 (an s3-mode collection prefix, on fauxqs)', () => {
  const s3 = fauxqsS3();
  let bucket: string;
  const prefix = 'vectors/index/lines';
  beforeEach(async () => {
    // The CLI takes the default credential chain: fauxqs accepts any.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'x');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'y');
    bucket = await createBucket(s3().client, 'vectors');
    // What compaction leaves: two snapshots written by a fenced writer, then one op after them.
    const writer = new HnswFencedWriterVectorIndex({
      files: new S3VectorIndexFiles(s3().client, { bucket, prefix }),
      dimensions: DIMS,
    });
    await writer.fence(3);
    await writer.upsert('lines', [record('a', 1), record('b', 2)]);
    await writer.checkpoint(); // snapshot 1: a, b
    await writer.upsert('lines', [record('c', 3)]);
    await writer.checkpoint(); // snapshot 2: a, b, c
    await writer.upsert('lines', [record('d', 4)]);
    await writer.close();
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const where = () => ['--s3', `s3://${bucket}/${prefix}`, '--endpoint', s3().endpoint, '--region', 'us-east-1'];

  it('--list prints the snapshots; --snapshot ID makes one live (followers see it); an unknown id exits 1', async () => {
    const listed = await cli(['restore', ...where(), '--list']);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^1\t\S+\tlines=2\twords=0\n2\t\S+\tlines=3\twords=0\n$/);

    const unknown = await cli(['restore', ...where(), '--snapshot', '42']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no snapshot "42" (available: 1, 2)');

    const restored = await cli(['restore', ...where(), '--snapshot', '1']);
    expect(restored.code).toBe(0);
    expect(restored.out).toContain('restored snapshot 1');
    const follower = new HnswFollowerVectorIndex({
      files: new S3VectorIndexFiles(s3().client, { bucket, prefix }),
      dimensions: DIMS,
      refreshAfterMs: 0,
    });
    expect((await follower.findIds('lines', {})).sort()).toEqual(['a', 'b']);
    // 'd' (logged after snapshot 2) was folded into snapshot 3 first: restoring it undoes this.
    expect((await cli(['restore', ...where(), '--list'])).out).toMatch(/\n3\t\S+\tlines=4\twords=0\n$/);
  });

  it('usage mistakes exit 2', async () => {
    expect((await cli(['restore', ...where(), '--data', '/tmp/x', '--list'])).code).toBe(2);
    expect((await cli(['restore', '--s3', 'bucket-only', '--list'])).code).toBe(2);
  });
});
