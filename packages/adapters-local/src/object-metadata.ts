/**
 * S3 stores metadata as strings only; a number or object passed to the SDK crashed uploads in
 * the original system (docs/lessons.md#lesson-19-non-string-s3-metadata). Strings are kept, numbers and booleans become `String(v)`,
 * everything else JSON; null and undefined values are dropped.
 */
export function stringifyMetadata(metadata: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (value === null || value === undefined) continue;
    out[key.toLowerCase()] =
      typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
          ? String(value)
          : JSON.stringify(value);
  }
  return out;
}
