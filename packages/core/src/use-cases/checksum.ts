/**
 * Pure-JS hashing for delta checksums and deterministic ids. Core may not use node:crypto, and a
 * checksum here only has to catch truncation and corruption, not resist an attacker.
 */

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** FNV-1a, 64 bit, over the UTF-8 bytes of `text`; 16 lower-case hex digits. */
export function fnv1a64(text: string): string {
  let hash = FNV64_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV64_PRIME) & MASK64;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * JSON with object keys sorted at every level, so that the same value always serialises to the
 * same string whatever order its keys were built in (checksums must not depend on that).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/**
 * The id of the compaction run for one receipt of one job. Derived, not generated, so that a
 * redelivered results message writes the same deltas and the same run instead of a second one.
 */
export function deterministicRunId(imageId: string, receiptId: number, jobId: string): string {
  return `run-${fnv1a64(`${imageId}\u0000${receiptId}\u0000${jobId}`)}`;
}
