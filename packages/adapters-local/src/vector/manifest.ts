import * as z from 'zod';
import { decodeCheckedLine, encodeCheckedLine } from '../durable/checked-line.js';
import { CorruptDataFileError } from '../errors.js';

/** The manifest's name inside a vector index directory. */
export const MANIFEST = 'manifest.json';

const FilesSchema = z.object({ snapshot: z.string().min(1).nullable(), log: z.string().min(1) });
const ManifestSchema = z.object({
  format_version: z.literal(1),
  dimensions: z.number().int().positive(),
  generation: z.number().int().nonnegative(),
  collections: z.object({ lines: FilesSchema, words: FilesSchema }),
  /**
   * The compaction lock's fencing token of the writer that last took over a shared directory
   * (efs mode): a writer holding a smaller one is refused before it appends. Absent for an
   * index owned by one process (`receipts serve`).
   */
  fencing_token: z.number().int().nonnegative().optional(),
});

/** Which snapshot and log hold each collection's live generation. */
export type Manifest = z.infer<typeof ManifestSchema>;

/** The manifest as one checked line (see checked-line.ts): still JSON, with a CRC-32 in front. */
export function encodeManifest(manifest: Manifest): Buffer {
  return encodeCheckedLine(JSON.stringify(manifest));
}

/**
 * Reads a manifest, checking its checksum; a manifest written before checksums (plain JSON) is
 * still read. Anything unreadable throws a {@link CorruptDataFileError} naming `file` and the
 * offset where reading failed (the end of the file for a half-written one).
 */
export function decodeManifest(bytes: Buffer, file: string): Manifest {
  if (bytes.length === 0) throw new CorruptDataFileError(file, 0, 'empty file');
  const end = bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length;
  const decoded = decodeCheckedLine(bytes.subarray(0, end));
  if (decoded.kind === 'bad') {
    const truncated = end === bytes.length;
    throw new CorruptDataFileError(
      file,
      truncated ? bytes.length : 0,
      truncated ? 'half-written manifest (no end of record)' : decoded.reason,
    );
  }
  const text = decoded.kind === 'checked' ? decoded.payload : decoded.text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message)?.[1];
    const offset = position !== undefined ? Number(position) : /end of JSON/i.test(message) ? bytes.length : 0;
    throw new CorruptDataFileError(file, offset, `not JSON (${message})`, { cause: error });
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new CorruptDataFileError(
      file,
      0,
      `not a vector index manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
