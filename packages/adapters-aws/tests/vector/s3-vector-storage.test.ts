import { HnswFencedWriterVectorIndex, HnswFollowerVectorIndex } from '@receiptflow/adapters-local/vector';
import { HnswVectorIndex, UnknownSnapshotError } from '@receiptflow/adapters-local';
import { StaleFencingTokenError, type VectorRecord, type VersionedFile } from '@receiptflow/core';
import {
  describeVectorIndexContract,
  describeVectorIndexFilesContract,
  WritesThenReads,
} from '@receiptflow/core/testing';
import { describe, expect, it } from 'vitest';
import { S3VectorIndexFiles, type S3VectorIndexFilesConfig } from '../../src/vector/index.js';
import { createBucket, createTestS3Client } from '@receiptflow/devkit/emulators';
import { fauxqsS3 } from '@receiptflow/devkit/emulators/suite';

const DIMS = 16;

const s3 = fauxqsS3();

async function freshConfig(): Promise<S3VectorIndexFilesConfig> {
  const bucket = await createBucket(s3().client, 'vectors');
  return { bucket, prefix: 'vectors/index/lines' };
}

// A small part size, so the contract's 3 MiB snapshot is fetched in several parallel ranges.
describeVectorIndexFilesContract('S3VectorIndexFiles (fauxqs)', async () => ({
  subject: new S3VectorIndexFiles(s3().client, { ...(await freshConfig()), partBytes: 1024 * 1024 }),
}));

function records(n: number, prefix: string, dims = DIMS): VectorRecord[] {
  let state = n * 31 + prefix.charCodeAt(0);
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1;
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    vector: Array.from({ length: dims }, next),
    document: `doc ${prefix} ${i}`,
    metadata: { i },
  }));
}

describeVectorIndexContract(
  'HnswFencedWriterVectorIndex + HnswFollowerVectorIndex over S3VectorIndexFiles (s3 mode, fauxqs)',
  async () => {
    const config = await freshConfig();
    // A small checkpointEvery so that the suite's cases also cross checkpoints.
    const writer = new HnswFencedWriterVectorIndex({
      files: new S3VectorIndexFiles(s3().client, config),
      dimensions: 512,
      checkpointEvery: 20,
    });
    await writer.fence(1);
    const follower = new HnswFollowerVectorIndex({
      files: new S3VectorIndexFiles(s3().client, config),
      dimensions: 512,
      refreshAfterMs: 0,
    });
    return { subject: new WritesThenReads(writer, follower), cleanup: () => writer.close() };
  },
);

/** The files as a writer paused before a newer writer fenced sees them: the manifest it last read. */
class FrozenManifestFiles extends S3VectorIndexFiles {
  frozen: VersionedFile | undefined;
  override async readVersioned(path: string) {
    return path === 'manifest.json' && this.frozen ? this.frozen : super.readVersioned(path);
  }
}

/** Counts the log bytes and GET ranges a follower reads. */
class CountingFiles extends S3VectorIndexFiles {
  logBytes = 0;
  override async readLog(log: string, offset: number) {
    const bytes = await super.readLog(log, offset);
    this.logBytes += bytes?.length ?? 0;
    return bytes;
  }
}

/**
 * Writer 1 wrote two records, then paused right after its manifest check (it keeps seeing the
 * manifest with token 1); writer 2 fenced meanwhile.
 */
async function staleAndLiveWriters() {
  const config = await freshConfig();
  const staleFiles = new FrozenManifestFiles(s3().client, config);
  const stale = new HnswFencedWriterVectorIndex({ files: staleFiles, dimensions: DIMS, refreshAfterMs: 0 });
  await stale.fence(1);
  await stale.upsert('lines', records(2, 'a'));
  staleFiles.frozen = await staleFiles.readVersioned('manifest.json');
  const live = new HnswFencedWriterVectorIndex({
    files: new S3VectorIndexFiles(s3().client, config),
    dimensions: DIMS,
  });
  await live.fence(2);
  return { config, stale, live };
}

function followerOf(config: S3VectorIndexFilesConfig): HnswFollowerVectorIndex {
  return new HnswFollowerVectorIndex({
    files: new S3VectorIndexFiles(s3().client, config),
    dimensions: DIMS,
    refreshAfterMs: 0,
  });
}

describe('s3 mode: fencing, cold and warm reads', () => {
  it('a stale writer’s segment at an offset the live writer also wrote is not part of the log', async () => {
    const { config, stale, live } = await staleAndLiveWriters();
    await stale.upsert('lines', records(1, 'stale'));
    await live.upsert('lines', records(1, 'live'));
    const follower = followerOf(config);
    expect(await follower.count('lines')).toBe(3);
    expect((await follower.get('lines', ['stale-0', 'live-0'])).map((r) => r.id)).toEqual(['live-0']);
  });

  it('a stale writer’s checkpoint cannot swap the manifest a newer writer wrote', async () => {
    const { config, stale, live } = await staleAndLiveWriters();
    await expect(stale.checkpoint()).rejects.toBeInstanceOf(StaleFencingTokenError);
    const manifest = await new S3VectorIndexFiles(s3().client, config).read('manifest.json');
    expect(new TextDecoder().decode(manifest)).toContain('"fencing_token":2');
    await live.upsert('lines', records(1, 'b'));
    const follower = followerOf(config);
    expect(await follower.count('lines')).toBe(3);
  });

  it('a cold follower fetches the snapshot in parallel ranges; a warm one reads only the new segment', async () => {
    const config = await freshConfig();
    const writer = new HnswFencedWriterVectorIndex({
      files: new S3VectorIndexFiles(s3().client, config),
      dimensions: 512,
      refreshAfterMs: 0,
    });
    await writer.fence(1);
    for (let i = 0; i < 8; i++) await writer.upsert('lines', records(50, `r${i}`, 512));
    await writer.checkpoint();
    await writer.upsert('lines', records(5, 'tail', 512));

    const ranges: string[] = [];
    const counted = createTestS3Client(s3().endpoint);
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string; Range?: string };
        if (context.commandName === 'GetObjectCommand' && input.Key?.endsWith('.snapshot'))
          ranges.push(input.Range ?? 'whole');
        return next(args);
      },
      { step: 'initialize' },
    );
    const files = new CountingFiles(counted, { ...config, partBytes: 256 * 1024, parallelReads: 4 });
    const follower = new HnswFollowerVectorIndex({ files, dimensions: 512, refreshAfterMs: 0 });
    expect(await follower.catchUp()).toMatchObject({ kind: 'cold', ops: 1 });
    expect(await follower.count('lines')).toBe(405);
    // 400 vectors of 512 float32 plus graph: several 256 KiB ranges, all ranged.
    expect(ranges.length).toBeGreaterThan(2);
    expect(ranges.every((r) => r.startsWith('bytes='))).toBe(true);

    const coldLogBytes = files.logBytes;
    await writer.upsert('lines', records(1, 'new', 512));
    files.logBytes = 0;
    ranges.length = 0;
    expect(await follower.catchUp()).toMatchObject({ kind: 'warm', ops: 1 });
    expect(ranges).toEqual([]);
    // One record of 512 dimensions: a few KB, the appended segment and nothing before it.
    expect(files.logBytes).toBeGreaterThan(2048);
    expect(files.logBytes).toBeLessThan(coldLogBytes);
    expect(await follower.count('lines')).toBe(406);
    counted.destroy();
    await writer.close();
  });

  it('restores a kept snapshot through the files port (the s3 restore): followers reload it, the next writer continues it, its token kept', async () => {
    const config = await freshConfig();
    const files = () => new S3VectorIndexFiles(s3().client, config);
    const writer = new HnswFencedWriterVectorIndex({ files: files(), dimensions: DIMS, refreshAfterMs: 0 });
    await writer.fence(5);
    await writer.upsert('lines', records(4, 'kept'));
    const snapshot = (await writer.checkpoint())!;
    await writer.upsert('lines', records(3, 'after'));
    const reader = followerOf(config);
    expect(await reader.count('lines')).toBe(7);
    writer.unfence(); // compaction stopped

    await expect(HnswVectorIndex.restoreSnapshot(files(), '99', { dimensions: DIMS })).rejects.toBeInstanceOf(
      UnknownSnapshotError,
    );
    const restored = await HnswVectorIndex.restoreSnapshot(files(), String(snapshot.id), { dimensions: DIMS });
    expect(restored.id).toBe(snapshot.id);
    // The 3 ops after the snapshot were folded into a newer snapshot first: restoring it undoes this.
    const ids = (await HnswVectorIndex.listSnapshots(files())).map((s) => s.id);
    expect(ids).toContain(snapshot.id);
    expect(Math.max(...ids)).toBeGreaterThan(snapshot.id);
    // The manifest is a checked line: {"c": crc, "p": manifest}.
    const manifest = JSON.parse(new TextDecoder().decode(await files().read('manifest.json'))).p;
    expect(manifest.fencing_token).toBe(5);
    expect(manifest.collections.lines.snapshot).toBe(
      `snapshots/${String(snapshot.id).padStart(10, '0')}/lines.snapshot`,
    );

    expect(await reader.catchUp()).toMatchObject({ kind: 'cold' });
    expect(await reader.count('lines')).toBe(4);
    // Compaction's next lease continues the restored index; a stale token is still refused.
    const next = new HnswFencedWriterVectorIndex({ files: files(), dimensions: DIMS, refreshAfterMs: 0 });
    await expect(next.fence(4)).rejects.toBeInstanceOf(StaleFencingTokenError);
    await next.fence(6);
    await next.upsert('lines', records(2, 'new'));
    expect(await followerOf(config).count('lines')).toBe(6);
    expect(await reader.catchUp()).toMatchObject({ kind: 'warm', ops: 1 });
    await next.close();
    await writer.close();
  });

  it('a restore whose manifest was swapped meanwhile by a writer promotes nothing', async () => {
    const config = await freshConfig();
    const writer = new HnswFencedWriterVectorIndex({
      files: new S3VectorIndexFiles(s3().client, config),
      dimensions: DIMS,
      refreshAfterMs: 0,
    });
    await writer.fence(1);
    await writer.upsert('lines', records(2, 'a'));
    const snapshot = (await writer.checkpoint())!;
    await writer.upsert('lines', records(2, 'b'));
    // The restore reads the manifest, then compaction (still running) checkpoints before its swap.
    class SwapsUnderRestore extends S3VectorIndexFiles {
      swapped = false;
      override async replace(path: string, bytes: Uint8Array, expected: string | null) {
        if (path === 'manifest.json' && !this.swapped) {
          this.swapped = true;
          await writer.checkpoint();
        }
        return super.replace(path, bytes, expected);
      }
    }
    await expect(
      HnswVectorIndex.restoreSnapshot(new SwapsUnderRestore(s3().client, config), snapshot.id, { dimensions: DIMS }),
    ).rejects.toBeInstanceOf(StaleFencingTokenError);
    expect(await followerOf(config).count('lines')).toBe(4);
    await writer.close();
  });
});
