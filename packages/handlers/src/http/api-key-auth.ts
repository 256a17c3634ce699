import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: Bearer <key>` against SHA-256 hashes of the accepted keys. Only hashes
 * are configured, and every comparison takes the same time whether it matches or not.
 */
export class ApiKeyAuth {
  private readonly hashes: Buffer[];

  constructor(sha256Hex: readonly string[]) {
    this.hashes = sha256Hex.map((h) => Buffer.from(h.trim().toLowerCase(), 'hex'));
  }

  static hash(key: string): string {
    return createHash('sha256').update(key, 'utf8').digest('hex');
  }

  /** True when there are no keys configured (open, loopback-only mode) or the key matches one. */
  get isOpen(): boolean {
    return this.hashes.length === 0;
  }

  verify(authorization: string | undefined): boolean {
    if (this.isOpen) return true;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const presented = createHash('sha256')
      .update(match?.[1] ?? '', 'utf8')
      .digest();
    let ok = false;
    for (const expected of this.hashes) {
      // Keep looping after a match so that timing does not reveal which key matched.
      if (expected.length === presented.length && timingSafeEqual(expected, presented)) ok = true;
    }
    return ok && match !== null;
  }
}
