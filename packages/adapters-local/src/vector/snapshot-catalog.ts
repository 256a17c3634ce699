import * as z from 'zod';
import { decodeCheckedLine, encodeCheckedLine } from '../durable/checked-line.js';
import { CorruptDataFileError } from '../errors.js';

/** The directory, inside a vector index directory, that holds one directory per snapshot. */
export const SNAPSHOTS_DIR = 'snapshots';
/** The descriptor inside a snapshot's directory; written last, so its presence means complete. */
export const SNAPSHOT_DESCRIPTOR = 'snapshot.json';
/** How many snapshots a writer keeps by default (the live one is always kept as well). */
export const DEFAULT_KEEP_SNAPSHOTS = 3;

const DescriptorSchema = z.object({
  id: z.number().int().positive(),
  created_at: z.string(),
  /**
   * The generation whose logs this snapshot folded: replaying that generation's logs to their
   * end reaches exactly this snapshot's state, which lets a follower move on without loading it.
   */
  after_generation: z.number().int().nonnegative(),
  dimensions: z.number().int().positive(),
  collections: z.object({
    lines: z.object({ file: z.string().nullable(), count: z.number().int().nonnegative() }),
    words: z.object({ file: z.string().nullable(), count: z.number().int().nonnegative() }),
  }),
});

/** What a snapshot holds: its id (the generation it starts), files and record counts. */
export type SnapshotDescriptor = z.infer<typeof DescriptorSchema>;

/**
 * A snapshot's directory name: the id zero-padded, so that names sort like ids (in a directory
 * listing and in an S3 listing alike).
 */
export function snapshotDirName(id: number): string {
  return String(id).padStart(10, '0');
}

/** The id a snapshot directory name stands for, or undefined for anything else (temp dirs). */
export function snapshotIdOf(name: string): number | undefined {
  return /^\d{10}$/.test(name) ? Number(name) : undefined;
}

/** A snapshot id as typed by a person (`7` or `0000000007`); undefined when it is not one. */
export function parseSnapshotId(text: string): number | undefined {
  return /^\d{1,10}$/.test(text.trim()) && Number(text) > 0 ? Number(text) : undefined;
}

export function encodeDescriptor(descriptor: SnapshotDescriptor): Buffer {
  return encodeCheckedLine(JSON.stringify(descriptor));
}

/** Reads a descriptor, checking its checksum; damage throws a {@link CorruptDataFileError}. */
export function decodeDescriptor(bytes: Buffer, file: string): SnapshotDescriptor {
  const end = bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length;
  const decoded = decodeCheckedLine(bytes.subarray(0, end));
  if (decoded.kind !== 'checked')
    throw new CorruptDataFileError(file, 0, decoded.kind === 'bad' ? decoded.reason : 'not a checked record');
  let json: unknown;
  try {
    json = JSON.parse(decoded.payload);
  } catch (error) {
    throw new CorruptDataFileError(file, 0, 'not JSON', { cause: error });
  }
  const parsed = DescriptorSchema.safeParse(json);
  if (!parsed.success)
    throw new CorruptDataFileError(
      file,
      0,
      `not a snapshot descriptor: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}
