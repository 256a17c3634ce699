import type { Collection } from '../domain/index.js';

/** The lock that serialises compaction of one collection (and a server-mode restore of it). */
export function compactionLockName(collection: Collection): string {
  return `compaction:${collection}`;
}
