import {
  encodeVectorDeltaPages,
  isVectorSnapshotId,
  vectorDeltaRecords,
  vectorSnapshotHeader,
  vectorSnapshotId,
  vectorSnapshotKey,
  VECTOR_DELTA_CONTENT_TYPE,
  VECTOR_SNAPSHOT_PREFIX,
  type Collection,
  type SnapshotPointer,
  type VectorRecord,
} from '../domain/index.js';
import {
  CorruptDeltaError,
  CorruptSnapshotError,
  LeaseLostError,
  LockBusyError,
  NotFoundError,
  UnknownVectorSnapshotError,
} from '../errors.js';
import {
  isoNow,
  silentLogger,
  type Clock,
  type CompactionLock,
  type ImageStore,
  type Logger,
  type SnapshotStore,
  type VectorCollectionTransfer,
  type VectorIndex,
} from '../ports/index.js';
import { compactionLockName } from './compaction-lock-name.js';

/** Snapshots are written once this many records changed since the last (`VECTOR_CHECKPOINT_EVERY`, as in efs/s3). */
export const DEFAULT_SNAPSHOT_EVERY = 2000;
/** Snapshot files kept per collection besides the one the pointer names (`VECTOR_KEEP_SNAPSHOTS`). */
export const DEFAULT_KEEP_VECTOR_SNAPSHOTS = 3;
/** Records per page read from the index or loaded into it. */
export const DEFAULT_SNAPSHOT_PAGE_SIZE = 300;
/** A restore holds the collection's lock this long (loading 200k records takes minutes). */
export const DEFAULT_RESTORE_LEASE_MS = 30 * 60_000;

/**
 * What a server-mode (Chroma) snapshot is written from and to: the index, read page by page, and
 * the vectors bucket's store. `every` and `keep` are compaction's cadence and retention.
 */
export interface VectorSnapshotDeps {
  transfer: VectorCollectionTransfer;
  vectors: Pick<VectorIndex, 'count'>;
  store: ImageStore;
  /** The embedding length every record has (the header states it, also for an empty collection). */
  dimensions: number;
  every?: number;
  keep?: number;
  pageSize?: number;
}

/** One stored snapshot file, checked. */
export interface VectorSnapshotInfo {
  id: string;
  collection: Collection;
  key: string;
  count: number;
  bytes: number;
  checksum: string;
}

/**
 * Writes a snapshot of `collection` under `snapshots/<collection>/<id>`: the records streamed
 * from the index a page at a time into the store's streamed put (whole or absent: a multipart
 * upload on S3, a temp file renamed locally), then read back whole and checked (checksum,
 * count, header) before it is returned. The caller holds the collection's compaction lock, so
 * nothing writes the collection meanwhile; a count that moved anyway makes the encoder throw and
 * nothing is stored. `signal` stops the scan between pages (a deadline). Only after this
 * resolves may a pointer name the key.
 *
 * @example
 * const info = await writeVectorSnapshot(deps, 'lines', vectorSnapshotId(version));
 * await snapshots.promote({ ...next, snapshot_key: info.key, changes_since_snapshot: 0 }, version - 1);
 */
export async function writeVectorSnapshot(
  deps: VectorSnapshotDeps,
  collection: Collection,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<VectorSnapshotInfo> {
  const key = vectorSnapshotKey(collection, id);
  const count = await deps.vectors.count(collection);
  const pages = stoppable(
    deps.transfer.scan(collection, { pageSize: deps.pageSize ?? DEFAULT_SNAPSHOT_PAGE_SIZE }),
    options.signal,
  );
  await deps.store.putStream(
    key,
    encodeVectorDeltaPages(vectorSnapshotHeader(collection, id), deps.dimensions, count, pages),
    { contentType: VECTOR_DELTA_CONTENT_TYPE, metadata: { collection, snapshot_id: id, count } },
  );
  const info = await verifyVectorSnapshot(deps.store, collection, id);
  if (info.count !== count)
    throw new CorruptSnapshotError(`snapshot ${key} holds ${info.count} records, ${count} were written`);
  return info;
}

/**
 * Reads a stored snapshot to its end and checks it (format, header = this collection and id,
 * every record's schema, count, checksum), holding one frame at a time. Throws
 * UnknownVectorSnapshotError when absent and CorruptSnapshotError when anything is wrong.
 *
 * @example
 * const { count, checksum } = await verifyVectorSnapshot(vectorsBucket, 'lines', 'v0000000042');
 */
export async function verifyVectorSnapshot(
  store: ImageStore,
  collection: Collection,
  id: string,
): Promise<VectorSnapshotInfo> {
  const key = vectorSnapshotKey(collection, id);
  const records = await openSnapshot(store, collection, id);
  try {
    for (let next = await records.next(); ; next = await records.next()) {
      if (next.done)
        return { id, collection, key, count: next.value.count, bytes: next.value.bytes, checksum: next.value.checksum };
    }
  } catch (error) {
    throw corrupt(key, error);
  }
}

/**
 * The snapshots stored for `collection`, oldest first (ids sort by the pointer version they were
 * written for). Other keys under the prefix are ignored.
 *
 * @example
 * const ids = (await listVectorSnapshots(vectorsBucket, 'lines')).map((s) => s.id);
 */
export async function listVectorSnapshots(
  store: ImageStore,
  collection: Collection,
): Promise<{ id: string; key: string }[]> {
  const prefix = `${VECTOR_SNAPSHOT_PREFIX}${collection}/`;
  return (await store.list(prefix))
    .map((key) => ({ id: key.slice(prefix.length), key }))
    .filter((s) => isVectorSnapshotId(s.id))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Deletes all but the newest `keep` snapshots of `collection`, never one whose key is in
 * `protect` (the pointer's). Returns the deleted keys.
 *
 * @example
 * await pruneVectorSnapshots(vectorsBucket, 'lines', 3, [pointer.snapshot_key]);
 */
export async function pruneVectorSnapshots(
  store: ImageStore,
  collection: Collection,
  keep: number,
  protect: readonly (string | undefined)[],
): Promise<string[]> {
  const all = await listVectorSnapshots(store, collection);
  const doomed = all.slice(0, Math.max(0, all.length - keep)).filter((s) => !protect.includes(s.key));
  for (const s of doomed) await store.delete(s.key);
  return doomed.map((s) => s.key);
}

export interface RestoreVectorSnapshotDeps extends VectorSnapshotDeps {
  lock: CompactionLock;
  snapshots: SnapshotStore;
  clock: Clock;
  logger?: Logger;
}

export interface RestoreVectorSnapshotOutcome {
  restored: VectorSnapshotInfo;
  /** The snapshot of the state before the restore (restoring it undoes this one); null when the pointer's snapshot already was that state. */
  undo: VectorSnapshotInfo | null;
  pointer: SnapshotPointer;
  /** Snapshot keys deleted beyond the kept N. */
  pruned: string[];
}

/**
 * Server mode's `receipts restore --snapshot ID`: makes a stored snapshot the live content of
 * the collection. Under the collection's compaction lock (so no compaction writes meanwhile):
 *
 * 1. the id must exist (UnknownVectorSnapshotError naming those that do), and the whole file is
 *    read and checked first (CorruptSnapshotError: nothing is loaded, nothing changes);
 * 2. the live state is written as a snapshot first, unless the pointer's snapshot already is it,
 *    so nothing is thrown away and restoring that id undoes the restore;
 * 3. the snapshot is loaded into a new collection no reader sees and swapped in whole
 *    (VectorCollectionTransfer.replaceCollection), only while the lease is still held: a reader
 *    sees the old collection or the restored one, never a half-loaded one;
 * 4. the pointer is promoted (version + 1, this lease's fencing token, `snapshot_key` = the
 *    restored file), and snapshots beyond the kept N are pruned.
 *
 * @example
 * const { restored, undo } = await restoreVectorSnapshot(deps, 'lines', 'v0000000042', { owner: 'restore-cli' });
 */
export async function restoreVectorSnapshot(
  deps: RestoreVectorSnapshotDeps,
  collection: Collection,
  id: string,
  options: { owner: string; leaseMs?: number },
): Promise<RestoreVectorSnapshotOutcome> {
  const logger = deps.logger ?? silentLogger;
  const stored = await listVectorSnapshots(deps.store, collection);
  if (!stored.some((s) => s.id === id))
    throw new UnknownVectorSnapshotError(
      `no snapshot ${id} of ${collection}; stored: ${stored.map((s) => s.id).join(', ') || 'none'}`,
    );
  const name = compactionLockName(collection);
  const leaseMs = options.leaseMs ?? DEFAULT_RESTORE_LEASE_MS;
  const lease = await deps.lock.acquire(name, options.owner, leaseMs);
  if (!lease) throw new LockBusyError(`lock ${name} is held by a compactor; try again when it is done`);
  try {
    const checked = await verifyVectorSnapshot(deps.store, collection, id);
    const current = await deps.snapshots.current(collection);
    const version = current?.version ?? 0;
    let undo: VectorSnapshotInfo | null = null;
    if (!(current?.snapshot_key && current.changes_since_snapshot === 0)) {
      undo = await writeVectorSnapshot(deps, collection, vectorSnapshotId(version));
      logger.info('vector snapshot written before restore', { collection, id: undo.id, count: undo.count });
    }
    const loaded = await deps.transfer.replaceCollection(collection, snapshotPages(deps, collection, id), {
      expectedCount: checked.count,
      beforeSwap: async () => {
        if (!(await deps.lock.isHeld(lease)))
          throw new LeaseLostError(`lease on ${name} expired before the restored collection was swapped in`);
      },
    });
    const pointer: SnapshotPointer = {
      collection,
      version: version + 1,
      fencing_token: lease.fencing_token,
      vector_count: loaded,
      run_ids: [],
      promoted_at: isoNow(deps.clock),
      snapshot_key: checked.key,
      changes_since_snapshot: 0,
    };
    await deps.snapshots.promote(pointer, version);
    const pruned = await pruneVectorSnapshots(deps.store, collection, deps.keep ?? DEFAULT_KEEP_VECTOR_SNAPSHOTS, [
      checked.key,
      undo?.key,
    ]);
    logger.info('vector snapshot restored', { collection, id, count: loaded, undo: undo?.id ?? null });
    return { restored: checked, undo, pointer, pruned };
  } finally {
    await deps.lock.release(lease).catch((error: unknown) => {
      logger.warn('could not release the restore lock', { collection, error: String(error) });
    });
  }
}

/** The snapshot's records in pages, checked as they are read; the last page comes only after the checksum passed. */
async function* snapshotPages(
  deps: VectorSnapshotDeps,
  collection: Collection,
  id: string,
): AsyncGenerator<VectorRecord[]> {
  const pageSize = deps.pageSize ?? DEFAULT_SNAPSHOT_PAGE_SIZE;
  const key = vectorSnapshotKey(collection, id);
  const records = await openSnapshot(deps.store, collection, id);
  let page: VectorRecord[] = [];
  try {
    for (let next = await records.next(); !next.done; next = await records.next()) {
      page.push(next.value);
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
  } catch (error) {
    throw corrupt(key, error);
  }
  // Held back until the trailer checked out, so a consumer never finishes on a corrupt file.
  if (page.length > 0) yield page;
}

async function openSnapshot(store: ImageStore, collection: Collection, id: string) {
  const key = vectorSnapshotKey(collection, id);
  const object = await store.getStream(key).catch((error: unknown) => {
    if (error instanceof NotFoundError)
      throw new UnknownVectorSnapshotError(`no snapshot ${id} of ${collection} (${key})`);
    throw error;
  });
  return vectorDeltaRecords(object.body, { expected: vectorSnapshotHeader(collection, id) });
}

function corrupt(key: string, error: unknown): unknown {
  if (!(error instanceof CorruptDeltaError)) return error;
  return new CorruptSnapshotError(`snapshot ${key} is corrupt: ${error.message}`, { cause: error });
}

/** The pages of `source`, stopped with the signal's reason between pages once it aborts. */
async function* stoppable<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  for await (const page of source) {
    signal?.throwIfAborted();
    yield page;
  }
}
