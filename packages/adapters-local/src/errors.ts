import { ReceiptflowError } from '@receiptflow/core';

/**
 * A presigned upload URL that this store did not sign, was altered, has expired, or does not
 * allow this request (another content type, more bytes). The local server answers 403, as S3
 * does for a bad signature.
 */
export class PresignedUrlInvalidError extends ReceiptflowError {
  readonly code = 'PRESIGNED_URL_INVALID';
}

/** A presigned upload URL that was already used once: replays are refused (409). */
export class PresignedUrlUsedError extends ReceiptflowError {
  readonly code = 'PRESIGNED_URL_USED';
}

/**
 * A persisted file under the local data directory failed its checksum or does not parse.
 * It names the file and the byte offset of the damaged record, so that `receipts fsck` and a
 * person with a hex editor can find it. Nothing is truncated or skipped when this is thrown:
 * the store refuses to open until the file is repaired (`receipts fsck --data DIR --repair`).
 *
 * @example
 * try { await FsJobTable.open(dir); }
 * catch (e) { if (e instanceof CorruptDataFileError) console.error(e.file, e.offset); }
 */
export class CorruptDataFileError extends ReceiptflowError {
  readonly code = 'CORRUPT_DATA_FILE';
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${file} is corrupt at byte ${offset}: ${reason} (run \`receipts fsck --data DIR\` to inspect and repair)`,
      options,
    );
  }
}

/**
 * A write to a persisted store failed part-way (disk full, I/O error). Memory and disk may now
 * disagree, so the store refuses further writes; reopening it reloads what is on disk.
 */
export class DataStoreWriteError extends ReceiptflowError {
  readonly code = 'DATA_STORE_WRITE_FAILED';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/**
 * `receipts restore --snapshot ID` (or {@link HnswVectorIndex.restoreSnapshot}) named a snapshot
 * the index directory does not hold. The message lists the ids that exist.
 *
 * @example
 * try { await HnswVectorIndex.restoreSnapshot(dir, 7); }
 * catch (e) { if (e instanceof UnknownSnapshotError) console.error(e.available); }
 */
export class UnknownSnapshotError extends ReceiptflowError {
  readonly code = 'UNKNOWN_SNAPSHOT';
  constructor(
    readonly dir: string,
    readonly snapshot: string,
    readonly available: readonly number[],
  ) {
    super(
      `vector index ${dir} has no snapshot "${snapshot}" (available: ${available.length > 0 ? available.join(', ') : 'none; a snapshot is written at each checkpoint'})`,
    );
  }
}

/**
 * A write reached a read-only follower of a vector index. Only the compaction side (the single
 * writer, under the compaction lock) writes the index files; followers only read them.
 *
 * @example
 * await follower.upsert('lines', records); // throws ReadOnlyVectorIndexError
 */
export class ReadOnlyVectorIndexError extends ReceiptflowError {
  readonly code = 'VECTOR_INDEX_READ_ONLY';
  constructor(
    readonly dir: string,
    readonly operation: string,
  ) {
    super(`vector index ${dir} is open read-only here: ${operation} is refused (only compaction writes the index)`);
  }
}

/**
 * A persisted vector index was written in one storage mode (float32 or int8-quantised graph
 * walk) and opened in the other. Its graph's link scores were computed in the mode it was built
 * with, so the index refuses rather than mixing the two; open it with the mode it was written in
 * (the `quantization` option), or rebuild it.
 *
 * @example
 * await HnswVectorIndex.open(dir, { quantization: 'int8' }); // a float32 index: throws this
 */
export class VectorIndexModeMismatchError extends ReceiptflowError {
  readonly code = 'VECTOR_INDEX_MODE_MISMATCH';
  constructor(
    readonly file: string,
    readonly stored: string,
    readonly configured: string,
  ) {
    super(
      `vector snapshot ${file} was written with quantization "${stored}", this index is configured with "${configured}"; open it with quantization: '${stored === 'none' ? 'none' : stored}' or rebuild it`,
    );
  }
}

/** A presigned upload carries more bytes than its URL allows (413). */
export class UploadTooLargeError extends ReceiptflowError {
  readonly code = 'PAYLOAD_TOO_LARGE';
}

/** The presign secret in the data folder is damaged; the message names the file. */
export class PresignSecretError extends ReceiptflowError {
  readonly code = 'PRESIGN_SECRET_INVALID';
}

/**
 * A write reached a persisted store after it was closed (or before it was opened). The caller
 * holds a store it already gave up; nothing was written.
 *
 * @example
 * await store.close();
 * await store.putImage(image); // rejects with StoreClosedError (code STORE_CLOSED)
 */
export class StoreClosedError extends ReceiptflowError {
  readonly code = 'STORE_CLOSED';
  constructor(readonly store: string) {
    super(`${store} is not open (closed, or never opened)`);
  }
}

/** A journal line passed its checksum but is not a change record of the version it claims. */
export class JournalRecordError extends ReceiptflowError {
  readonly code = 'JOURNAL_RECORD_INVALID';
}

/**
 * The HNSW graph was asked to break one of its own invariants (a slot linked out of order):
 * a bug in the index, not bad input. The index refuses rather than corrupting its graph.
 */
export class HnswInvariantError extends ReceiptflowError {
  readonly code = 'HNSW_INVARIANT';
}

/**
 * `FakeClock.runUntil` could not settle the promise: nothing sleeps on the clock (the promise
 * waits on something else, such as real I/O or another clock), or it kept sleeping past the
 * step limit. A test that hits this would otherwise hang.
 *
 * @example
 * await clock.runUntil(new Promise(() => {})); // rejects with FakeClockStalledError
 */
export class FakeClockStalledError extends ReceiptflowError {
  readonly code = 'FAKE_CLOCK_STALLED';
}
