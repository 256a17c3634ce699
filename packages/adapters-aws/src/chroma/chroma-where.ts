import type { Where } from 'chromadb';
import type { MetadataFilter } from '@receiptflow/core';

/**
 * Port filter (equality on every key) → Chroma `where`. Chroma wants exactly one operator per
 * object and rejects `$and` with fewer than two operands, so one key is a bare `$eq` and several
 * are an `$and` of them. An empty filter matches everything and becomes no `where` at all.
 */
export function toChromaWhere(filter: MetadataFilter): Where | undefined {
  const clauses = Object.entries(filter).map(([key, value]) => ({ [key]: { $eq: value } }) as Where);
  if (clauses.length === 0) return undefined;
  if (clauses.length === 1) return clauses[0];
  return { $and: clauses };
}
