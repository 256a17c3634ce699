import * as z from 'zod';
import { schema } from '../schema.js';
import { CollectionSchema } from './ids.js';

/**
 * What the live index of a collection is. Compaction swaps it conditionally: only from the
 * version it read, and only with a fencing token no older than the stored one.
 */
export const SnapshotPointerSchema = /* @__PURE__ */ schema(() =>
  z.object({
    collection: CollectionSchema,
    version: z.number().int().nonnegative(),
    fencing_token: z.number().int().nonnegative(),
    vector_count: z.number().int().nonnegative(),
    run_ids: z.array(z.string()),
    promoted_at: z.string().datetime(),
    /**
     * Server mode: the object key of the last snapshot file written of this collection
     * (`snapshots/<collection>/<id>`, vector-snapshot.ts), if any. The file exists, whole and
     * read back, before a pointer names it. Absent in the efs and s3 modes (their snapshots are
     * the index files' own) and before the first snapshot.
     */
    snapshot_key: z.string().min(1).optional(),
    /** Server mode: records changed since `snapshot_key` was written (the snapshot cadence counts these). */
    changes_since_snapshot: z.number().int().nonnegative().optional(),
  }),
);
export type SnapshotPointer = z.infer<typeof SnapshotPointerSchema>;

/** A held lock. `fencing_token` grows with every acquisition of the same lock. */
export interface LockLease {
  name: string;
  owner: string;
  fencing_token: number;
  /** Epoch milliseconds. */
  expires_at: number;
}
