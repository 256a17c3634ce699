/**
 * Pure-JS hashing for delta checksums and deterministic ids. Core may not use node:crypto, and a
 * checksum here only has to catch truncation and corruption, not resist an attacker.
 */

// FNV-1a 64 in four 16-bit limbs, so every step is small-integer arithmetic: BigInt per byte
// made a 3 MB delta cost ~275 ms to hash. The prime is 2^40 + 0x1b3, so
// h * prime = h * 0x1b3 + (h << 40) mod 2^64, and h << 40 moves limbs 0 and 1 up by 2 limbs + 8 bits.
const FNV64_PRIME_LOW = 0x1b3;

/** FNV-1a, 64 bit, over the UTF-8 bytes of `text`; 16 lower-case hex digits. */
export function fnv1a64(text: string): string {
  const hash = new Fnv1a64();
  hash.update(new TextEncoder().encode(text));
  return hash.hex();
}

/**
 * FNV-1a 64 fed chunk by chunk, so that a streamed delta is checksummed as it passes without
 * ever holding all of its bytes: `update` any number of times, then `hex`.
 *
 * @example
 * const hash = new Fnv1a64();
 * for await (const chunk of body) hash.update(chunk);
 * hash.hex(); // same as fnv1a64 of the concatenated bytes
 */
export class Fnv1a64 {
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  update(bytes: Uint8Array): void {
    let { h0, h1, h2, h3 } = this;
    for (let i = 0; i < bytes.length; i++) {
      h0 ^= bytes[i]!;
      const t0 = h0 * FNV64_PRIME_LOW;
      const t1 = h1 * FNV64_PRIME_LOW + (t0 >>> 16);
      const t2 = h2 * FNV64_PRIME_LOW + (h0 << 8) + (t1 >>> 16);
      const t3 = h3 * FNV64_PRIME_LOW + (h1 << 8) + (t2 >>> 16);
      h0 = t0 & 0xffff;
      h1 = t1 & 0xffff;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
    }
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
  }

  /** 16 lower-case hex digits of the bytes seen so far. */
  hex(): string {
    return [this.h3, this.h2, this.h1, this.h0].map((limb) => limb.toString(16).padStart(4, '0')).join('');
  }
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

/**
 * Lowercase hex SHA-256 of `bytes`, the content hash duplicate uploads are found by. Web Crypto's
 * digest (a standard global in Node and browsers, native speed), not a JS hash: an upload is up
 * to 25 MiB, and core may not import node:crypto.
 *
 * @example
 * await sha256Hex(new TextEncoder().encode('abc')); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const byte of digest) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
