import type { Metadata } from 'chromadb';
import type { VectorMetadata } from '@receiptflow/core';

/**
 * Chroma's JS client rejects an empty metadata object ("Expected metadata to be non-empty"),
 * while the port allows records without metadata. Such records carry this one key instead; it is
 * stripped on every read, so callers never see it. A stale marker on a record that later gained
 * keys is harmless for the same reason.
 */
export const EMPTY_METADATA_MARKER = '_receiptflow_no_metadata';

/** Port metadata → what Chroma stores: null values are omitted (a stored key is never null). */
export function toChromaMetadata(metadata: VectorMetadata): Metadata {
  const stored: Metadata = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (value !== null) stored[key] = value;
  }
  return Object.keys(stored).length > 0 ? stored : { [EMPTY_METADATA_MARKER]: true };
}

/** What Chroma returned → port metadata, without the marker and anything that is not a scalar. */
export function fromChromaMetadata(metadata: Metadata | null | undefined): VectorMetadata {
  const result: VectorMetadata = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (key === EMPTY_METADATA_MARKER) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      result[key] = value;
    }
  }
  return result;
}

/** Port metadata with nulls dropped, as it should read back once stored. */
export function withoutNulls(metadata: VectorMetadata): VectorMetadata {
  return fromChromaMetadata(toChromaMetadata(metadata));
}

/** True if the two maps hold the same keys with the same values. */
export function sameMetadata(a: VectorMetadata, b: VectorMetadata): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => b[key] === a[key]);
}
