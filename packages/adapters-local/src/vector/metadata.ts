import type { MetadataFilter, MetadataValue, VectorMetadata } from '@receiptflow/core';

/** Metadata without null values: a null means "no such key", on upsert as on update. */
export function withoutNulls(metadata: VectorMetadata): VectorMetadata {
  const out: VectorMetadata = {};
  for (const [key, value] of Object.entries(metadata)) if (value !== null) out[key] = value;
  return out;
}

/**
 * The metadata after applying `patch`: named keys are set, null keys removed, other keys kept.
 * Returns a new object; the stored one is never mutated, so postings can be diffed.
 */
export function patchMetadata(metadata: VectorMetadata, patch: VectorMetadata): VectorMetadata {
  const out: VectorMetadata = { ...metadata };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}

/** True when every key of `where` is present in `metadata` with an equal value of the same type. */
export function matchesFilter(metadata: VectorMetadata, where: MetadataFilter): boolean {
  for (const [key, value] of Object.entries(where)) if (metadata[key] !== value) return false;
  return true;
}

/**
 * The inverted-index key of one (key, value) pair. The type is part of the key so that the
 * number 1 and the string "1" never match each other, as with `===`.
 */
export function postingKey(key: string, value: MetadataValue): string {
  return `${typeof value}\u0000${key}\u0000${String(value)}`;
}
