import { createHash, timingSafeEqual } from 'node:crypto';
import { DEFAULT_OWNER } from '@receiptflow/core';

/** One accepted key: the SHA-256 of the key (lowercase hex) and the owner it acts for. */
export interface ApiKeyEntry {
  owner: string;
  sha256: string;
}

/**
 * Checks `Authorization: Bearer <key>` against SHA-256 hashes of the accepted keys and answers
 * which owner the key belongs to. Only hashes are configured, and every comparison takes the
 * same time whether it matches or not, and whichever key it matches.
 *
 * @example
 * const auth = new ApiKeyAuth([{ owner: 'alice', sha256: ApiKeyAuth.hash('k-a') }, ApiKeyAuth.hash('k-b')]);
 * auth.ownerOf('Bearer k-a'); // 'alice'
 * auth.ownerOf('Bearer k-b'); // 'default' (a bare hash belongs to DEFAULT_OWNER)
 * auth.ownerOf('Bearer nope'); // null
 */
export class ApiKeyAuth {
  private readonly keys: { owner: string; digest: Buffer }[];

  /** A bare hash string is a key of DEFAULT_OWNER (the configuration before owners existed). */
  constructor(keys: readonly (string | ApiKeyEntry)[]) {
    this.keys = keys.map((k) => {
      const { owner, sha256 } = typeof k === 'string' ? { owner: DEFAULT_OWNER, sha256: k } : k;
      return { owner, digest: Buffer.from(sha256.trim().toLowerCase(), 'hex') };
    });
  }

  static hash(key: string): string {
    return createHash('sha256').update(key, 'utf8').digest('hex');
  }

  /** True when there are no keys configured (open, loopback-only mode): every request is DEFAULT_OWNER's. */
  get isOpen(): boolean {
    return this.keys.length === 0;
  }

  /** The owner of the presented key; DEFAULT_OWNER in open mode; null for a missing or unknown key. */
  ownerOf(authorization: string | undefined): string | null {
    if (this.isOpen) return DEFAULT_OWNER;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const presented = createHash('sha256')
      .update(match?.[1] ?? '', 'utf8')
      .digest();
    let owner: string | null = null;
    for (const expected of this.keys) {
      // Keep looping after a match so that timing does not reveal which key matched.
      if (expected.digest.length === presented.length && timingSafeEqual(expected.digest, presented)) {
        owner = expected.owner;
      }
    }
    return match === null ? null : owner;
  }

  verify(authorization: string | undefined): boolean {
    return this.ownerOf(authorization) !== null;
  }
}
