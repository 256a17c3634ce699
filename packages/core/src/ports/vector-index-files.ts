/**
 * Where a persisted vector index keeps its files (docs/vector-storage.md): a manifest swapped as
 * a whole, per-collection append-only logs, and snapshot directories that appear complete or not
 * at all. One writer (compaction under its lock, fenced by the lease's token) writes them; any
 * number of read-only followers read them. Paths are relative to the index root and use `/`.
 *
 * Implementations: a directory (a local disk or an EFS mount, `FsVectorIndexFiles`) and an S3
 * prefix (`S3VectorIndexFiles`), both held to `describeVectorIndexFilesContract`.
 *
 * @example
 * const found = await files.readVersioned('manifest.json');
 * const tail = await files.readLog('lines.3.log', offsetApplied); // only the new bytes
 * await files.appendLog('lines.3.log', end, frameBytes, lease.fencing_token);
 * await files.replace('manifest.json', next, found?.version ?? null); // ConditionFailedError if it moved
 */
export interface VectorIndexFiles {
  /** Where the files are (a directory or `s3://bucket/prefix`), for error messages. */
  readonly location: string;

  /** A whole file (manifest, snapshot descriptor, snapshot), or undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;

  /** A whole file with an opaque version for {@link replace}, or undefined when it does not exist. */
  readVersioned(path: string): Promise<VersionedFile | undefined>;

  /**
   * Replaces `path` in one step (a reader sees the old bytes or the new, never a mix) when its
   * current version is `expected` (`null`: only when it does not exist yet). Otherwise throws
   * `ConditionFailedError` and changes nothing. Returns the new version.
   */
  replace(path: string, bytes: Uint8Array, expected: string | null): Promise<string>;

  /** Creates an empty log (a follower tells an empty log from a removed one). */
  createLog(log: string): Promise<void>;

  /**
   * The log's bytes from `offset` to its current end (empty when nothing is new), or undefined
   * when the log does not exist (it was removed: the reader must start over from a snapshot).
   */
  readLog(log: string, offset: number): Promise<Uint8Array | undefined>;

  /**
   * Appends `bytes` to the log at `offset` (its current length as the writer knows it), on
   * behalf of the writer holding fencing token `writer`. Nothing is visible to readers until it
   * all is, where the storage allows (S3); a directory may show a torn tail after a crash, which
   * the frames' checksums catch.
   */
  appendLog(log: string, offset: number, bytes: Uint8Array, writer: number): Promise<void>;

  /** Drops the log's bytes past `length` (a torn append); returns how many bytes were dropped. */
  cutLog(log: string, length: number): Promise<number>;

  /** The logs there are, with their sizes in bytes. */
  listLogs(): Promise<{ name: string; size: number }[]>;

  removeLog(log: string): Promise<void>;

  /**
   * Writes a snapshot directory `snapshots/<name>/` holding `files`; the last one is the
   * descriptor. Readers see the directory complete (every file) or not at all.
   */
  writeSnapshot(name: string, files: readonly SnapshotFile[]): Promise<void>;

  /** Snapshot directories there are, oldest name first; `complete` false for a torn write. */
  listSnapshots(): Promise<{ name: string; complete: boolean }[]>;

  removeSnapshot(name: string): Promise<void>;

  /** Releases open handles; the files stay. */
  close(): Promise<void>;
}

/** A file with the version {@link VectorIndexFiles.replace} expects. */
export interface VersionedFile {
  bytes: Uint8Array;
  version: string;
}

/** One file of a snapshot directory. */
export interface SnapshotFile {
  name: string;
  bytes: Uint8Array;
}
