import { join } from 'node:path';
import { HnswVectorIndex } from '@receiptflow/adapters-local';
import { parseFlags, type Print } from '../args.js';
import { UsageError } from '@receiptflow/core';

/**
 * `receipts restore --data DIR (--list | --snapshot ID)`: lists the vector index's snapshots,
 * or makes one of them the live state. `receipts serve` must not be running on DIR (the index
 * directory's owner lock refuses it). Operations logged since the last snapshot are first
 * folded into a new snapshot, so restoring that newest id undoes a restore.
 */
export async function restoreCommand(argv: string[], out: Print): Promise<number> {
  const { values } = parseFlags(argv, {
    data: { type: 'string' },
    snapshot: { type: 'string' },
    list: { type: 'boolean', default: false },
  });
  if (!values.data) throw new UsageError('restore needs --data DIR (the directory `receipts serve --data` used)');
  if (values.list === (values.snapshot !== undefined))
    throw new UsageError('restore needs exactly one of --list or --snapshot ID');
  const dir = join(values.data, 'vectors');
  if (values.list) {
    const snapshots = await HnswVectorIndex.listSnapshots(dir);
    if (snapshots.length === 0) out(`no snapshots in ${dir}`);
    for (const s of snapshots) {
      out(`${s.id}\t${s.created_at}\tlines=${s.collections.lines.count}\twords=${s.collections.words.count}`);
    }
    return 0;
  }
  const restored = await HnswVectorIndex.restoreSnapshot(dir, values.snapshot!);
  out(
    `restored snapshot ${restored.id} (${restored.created_at}): lines=${restored.collections.lines.count} words=${restored.collections.words.count}`,
  );
  return 0;
}
