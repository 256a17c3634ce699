import type { ChangeRecord, CompactionMessage } from '../domain/index.js';

/**
 * The stream processor's decision: which compaction messages a job-table change needs.
 * CompactionRun INSERT → one `merge` per collection. Merchant field changes on a ReceiptPlace →
 * `update_metadata` per collection. Receipt REMOVE → `delete_receipt` per collection.
 * Everything else (including CompactionRun MODIFY) → nothing.
 */
export function routeChange(_change: ChangeRecord): CompactionMessage[] {
  throw new Error('not implemented');
}
