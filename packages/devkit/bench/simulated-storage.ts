/**
 * The storage the vector-storage bench reads through: a directory standing in for an EFS mount
 * and fauxqs standing in for S3, each with the latency and bandwidth of the real service injected
 * (docs/benchmarks.md#vector-storage-modes-vector_storage says which figures and why). Also the
 * two setup helpers the bench needs to put one index in both places: a {@link TeeVectorIndexFiles}
 * that sends the writer's writes to both, and {@link copyIndexFiles} for the state it starts from.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { FsVectorIndexFiles } from '@receiptflow/adapters-local/vector';
import type { SnapshotFile, VectorIndexFiles, VersionedFile } from '@receiptflow/core';

/**
 * One client's network link: every transfer first waits its operation's latency, then its bytes
 * cross the link at `bytesPerMs` behind the bytes already crossing it. Parallel requests overlap
 * their latencies but share the bandwidth, as on a Lambda's one network interface.
 */
export class SimulatedLink {
  private freeAt = 0;

  constructor(
    readonly bytesPerMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** When `bytes` sent now (after `latencyMs`) would have crossed; reserves the link until then. */
  reserve(latencyMs: number, bytes: number): number {
    const start = Math.max(this.now() + latencyMs, this.freeAt);
    this.freeAt = start + bytes / this.bytesPerMs;
    return this.freeAt;
  }

  async transfer(latencyMs: number, bytes: number): Promise<void> {
    const done = this.reserve(latencyMs, bytes);
    await sleep(Math.max(0, done - this.now()));
  }
}

/** What a reader asked of its storage: operations (requests) by kind, and bytes read. */
export class StorageCounter {
  readonly byKind = new Map<string, number>();
  bytes = 0;
  /** Wall time with at least one operation in flight (overlapping requests count once). */
  busyMs = 0;
  private inFlight = 0;
  private busySince = 0;

  /** Wraps one operation, for {@link busyMs}. */
  async timed<T>(work: () => Promise<T>): Promise<T> {
    if (this.inFlight++ === 0) this.busySince = performance.now();
    try {
      return await work();
    } finally {
      if (--this.inFlight === 0) this.busyMs += performance.now() - this.busySince;
    }
  }

  count(kind: string, bytes = 0): void {
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    this.bytes += bytes;
  }

  get operations(): number {
    let n = 0;
    for (const v of this.byKind.values()) n += v;
    return n;
  }

  snapshot(): { operations: number; bytes: number; busyMs: number; byKind: Record<string, number> } {
    return {
      operations: this.operations,
      bytes: this.bytes,
      busyMs: this.busyMs,
      byKind: Object.fromEntries(this.byKind),
    };
  }
}

/**
 * The index files of a directory read as over EFS: every read operation (`read`, `readLog`:
 * each an NFS open + read + close; `readVersioned` reads through `read`) waits `opLatencyMs` and
 * moves its bytes over `link`.
 */
export class EfsLikeIndexFiles extends FsVectorIndexFiles {
  readonly counter = new StorageCounter();

  constructor(
    dir: string,
    private readonly link: SimulatedLink,
    private readonly opLatencyMs: number,
  ) {
    super(dir);
  }

  override read(path: string) {
    return this.counter.timed(async () => this.delayed('read', await super.read(path)));
  }
  override readLog(path: string, offset: number) {
    return this.counter.timed(async () => this.delayed('readLog', await super.readLog(path, offset)));
  }
  override listSnapshots() {
    return this.counter.timed(async () => {
      await this.delayed('list', undefined);
      return super.listSnapshots();
    });
  }

  private async delayed<T extends Uint8Array | undefined>(kind: string, bytes: T): Promise<T> {
    this.counter.count(kind, bytes?.length ?? 0);
    await this.link.transfer(this.opLatencyMs, bytes?.length ?? 0);
    return bytes;
  }
}

/**
 * Makes `client` behave, as seen from its caller, like S3 from a Lambda: every request is
 * counted by command and waits `latencyMs` (first byte) plus its response body over `link`.
 * fauxqs answers on loopback in well under a millisecond, which would flatter the s3 mode.
 */
export function simulateS3Network(client: S3Client, link: SimulatedLink, latencyMs: number): StorageCounter {
  const counter = new StorageCounter();
  client.middlewareStack.add(
    (next, context) => async (args) =>
      counter.timed(async () => {
        const result = await next(args);
        const response = result.response as { headers?: Record<string, string> } | undefined;
        const bytes = Number(response?.headers?.['content-length'] ?? 0);
        const command = context.commandName ?? 'unknown';
        // A PUT's body goes the other way; its response is empty.
        counter.count(command, command === 'GetObjectCommand' ? bytes : 0);
        await link.transfer(latencyMs, command === 'GetObjectCommand' ? bytes : 0);
        return result;
      }),
    { step: 'finalizeRequest', name: 'benchSimulatedS3Network' },
  );
  return counter;
}

/** Part size for {@link putLargeObjects}; S3's minimum part is 5 MiB. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * fauxqs 1.9.2 takes no request body over 11 MiB, while S3 takes a single PUT up to 5 GB: a
 * 200k-vector snapshot (~470 MB) is written with one PutObject by `S3VectorIndexFiles`. This
 * sends such a PutObject as a multipart upload instead, so the bench's setup can store it in
 * fauxqs. Only the setup's writer client gets it; nothing measured goes through it.
 */
export function putLargeObjects(client: S3Client): void {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  (client as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    if (!(command instanceof PutObjectCommand)) return send(command);
    const body = command.input.Body;
    if (!(body instanceof Uint8Array) || body.length <= PART_BYTES) return send(command);
    const { Bucket, Key } = command.input;
    const { UploadId } = (await send(new CreateMultipartUploadCommand({ Bucket, Key }))) as { UploadId: string };
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let at = 0, n = 1; at < body.length; at += PART_BYTES, n++) {
      const Body = body.subarray(at, Math.min(body.length, at + PART_BYTES));
      const out = (await send(
        new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: n, Body, ContentLength: Body.length }),
      )) as { ETag: string };
      parts.push({ ETag: out.ETag, PartNumber: n });
    }
    return send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
  };
}

/**
 * Index files that read from `primary` and, once {@link mirror} is on, write to both: the bench
 * builds one index through one writer and has an efs follower read the directory and an s3
 * follower read the bucket, each holding the same operations in the same log frames (the S3 log
 * gets one segment per append, as compaction leaves it). The secondary's manifest is replaced
 * from its own current version, since the two stores version files differently.
 */
export class TeeVectorIndexFiles implements VectorIndexFiles {
  mirror = false;

  constructor(
    readonly primary: VectorIndexFiles,
    readonly secondary: VectorIndexFiles,
  ) {}

  get location(): string {
    return this.primary.location;
  }
  read(path: string): Promise<Uint8Array | undefined> {
    return this.primary.read(path);
  }
  readVersioned(path: string): Promise<VersionedFile | undefined> {
    return this.primary.readVersioned(path);
  }
  async replace(path: string, bytes: Uint8Array, expected: string | null): Promise<string> {
    const version = await this.primary.replace(path, bytes, expected);
    if (this.mirror) await replaceWhatever(this.secondary, path, bytes);
    return version;
  }
  async createLog(log: string): Promise<void> {
    await this.primary.createLog(log);
    if (this.mirror) await this.secondary.createLog(log);
  }
  readLog(log: string, offset: number): Promise<Uint8Array | undefined> {
    return this.primary.readLog(log, offset);
  }
  async appendLog(log: string, offset: number, bytes: Uint8Array, writer: number): Promise<void> {
    await this.primary.appendLog(log, offset, bytes, writer);
    if (this.mirror) await this.secondary.appendLog(log, offset, bytes, writer);
  }
  async cutLog(log: string, length: number): Promise<number> {
    const dropped = await this.primary.cutLog(log, length);
    if (this.mirror) await this.secondary.cutLog(log, length);
    return dropped;
  }
  listLogs(): Promise<{ name: string; size: number }[]> {
    return this.primary.listLogs();
  }
  async removeLog(log: string): Promise<void> {
    await this.primary.removeLog(log);
    if (this.mirror) await this.secondary.removeLog(log);
  }
  async writeSnapshot(name: string, files: readonly SnapshotFile[]): Promise<void> {
    await this.primary.writeSnapshot(name, files);
    if (this.mirror) await this.secondary.writeSnapshot(name, files);
  }
  listSnapshots(): Promise<{ name: string; complete: boolean }[]> {
    return this.primary.listSnapshots();
  }
  async removeSnapshot(name: string): Promise<void> {
    await this.primary.removeSnapshot(name);
    if (this.mirror) await this.secondary.removeSnapshot(name);
  }
  async close(): Promise<void> {
    await this.primary.close();
    await this.secondary.close();
  }
}

async function replaceWhatever(files: VectorIndexFiles, path: string, bytes: Uint8Array): Promise<void> {
  const current = await files.readVersioned(path);
  await files.replace(path, bytes, current?.version ?? null);
}

/**
 * Copies the live state of the index in directory `dir` (manifest, complete snapshots, logs) to
 * `to`, through the port, so `to` lays it out its own way. Snapshot files are listed from the
 * directory (the port lists snapshots, not their files); the descriptor goes last, as a
 * checkpoint writes it.
 */
export async function copyIndexFiles(dir: string, to: VectorIndexFiles, writer: number): Promise<void> {
  const from = new FsVectorIndexFiles(dir);
  for (const { name, complete } of await from.listSnapshots()) {
    if (!complete) continue;
    const names = (await readdir(join(dir, 'snapshots', name))).sort((a, b) =>
      a === 'snapshot.json' ? 1 : b === 'snapshot.json' ? -1 : a < b ? -1 : 1,
    );
    const files: SnapshotFile[] = [];
    for (const file of names) files.push({ name: file, bytes: (await from.read(`snapshots/${name}/${file}`))! });
    await to.writeSnapshot(name, files);
  }
  for (const { name } of await from.listLogs()) {
    await to.createLog(name);
    const bytes = (await from.readLog(name, 0))!;
    if (bytes.length > 0) await to.appendLog(name, 0, bytes, writer);
  }
  await replaceWhatever(to, 'manifest.json', (await from.read('manifest.json'))!);
  await from.close();
}
