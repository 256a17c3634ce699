/**
 * Read access to a vector index's files, as a read-only follower needs it: whole small files
 * (manifest, descriptors, snapshots) and the tail of a log from an offset. Paths are relative to
 * the index root. A follower over EFS uses {@link NodeIndexFiles}; tests inject a counting one
 * to prove that a warm catch-up reads only the new bytes.
 */
export interface IndexFiles {
  /** Where the files are, for error messages. */
  readonly root: string;
  /** The whole file, or undefined when it does not exist. */
  read(path: string): Promise<Buffer | undefined>;
  /** The bytes from `offset` to the current end, or undefined when the file does not exist. */
  readFrom(path: string, offset: number): Promise<Buffer | undefined>;
}
