import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiKeyAuth } from '../src/http/api-key-auth.js';

// A pass-through spy on timingSafeEqual, to see how the comparison is made (never how long it takes).
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});
const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

const KEY = 'rf_live_0123456789abcdef';

describe('ApiKeyAuth', () => {
  beforeEach(() => {
    timingSafeEqual.mockClear();
  });

  it('hashes keys to lowercase hex SHA-256', () => {
    expect(ApiKeyAuth.hash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('accepts the right key and refuses wrong, missing and malformed ones', () => {
    const auth = new ApiKeyAuth([ApiKeyAuth.hash(KEY)]);
    expect(auth.isOpen).toBe(false);
    expect(auth.verify(`Bearer ${KEY}`)).toBe(true);
    expect(auth.verify(`bearer   ${KEY}`)).toBe(true);
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Basic ${KEY}`,
      KEY,
      `Bearer ${KEY} extra`,
      `Bearer ${KEY.toUpperCase()}`,
    ]) {
      expect(auth.verify(header), String(header)).toBe(false);
    }
  });

  it('refuses a prefix or an extension of the right key (different lengths)', () => {
    const auth = new ApiKeyAuth([ApiKeyAuth.hash(KEY)]);
    expect(auth.verify(`Bearer ${KEY.slice(0, -1)}`)).toBe(false);
    expect(auth.verify(`Bearer ${KEY}0`)).toBe(false);
    expect(auth.verify(`Bearer ${'x'.repeat(10_000)}`)).toBe(false);
    expect(auth.verify('Bearer a')).toBe(false);
  });

  it('compares fixed-length digests with timingSafeEqual against every configured key, match or not', () => {
    const auth = new ApiKeyAuth([ApiKeyAuth.hash('k-one'), ApiKeyAuth.hash('k-two'), ApiKeyAuth.hash('k-three')]);
    for (const header of ['Bearer k-one', 'Bearer k-three', 'Bearer nope', `Bearer ${'long'.repeat(500)}`, undefined]) {
      timingSafeEqual.mockClear();
      auth.verify(header);
      // The loop does not stop at the first match, so timing does not say which key matched.
      expect(timingSafeEqual, String(header)).toHaveBeenCalledTimes(3);
      for (const [a, b] of timingSafeEqual.mock.calls) {
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    }
  });

  it('accepts configured hashes in any case and with surrounding spaces', () => {
    const auth = new ApiKeyAuth([`  ${ApiKeyAuth.hash(KEY).toUpperCase()} `]);
    expect(auth.verify(`Bearer ${KEY}`)).toBe(true);
  });

  it('never matches through a configured hash that is not 64 hex characters', () => {
    // Buffer.from(non-hex, 'hex') is empty or short: it must not equal anything, nor throw.
    const auth = new ApiKeyAuth(['not-hex', ApiKeyAuth.hash(KEY).slice(0, 32)]);
    expect(auth.verify(`Bearer ${KEY}`)).toBe(false);
    expect(auth.verify('Bearer not-hex')).toBe(false);
  });

  it('a missing header never matches even if the hash of the empty key is configured', () => {
    const auth = new ApiKeyAuth([ApiKeyAuth.hash('')]);
    expect(auth.verify(undefined)).toBe(false);
    expect(auth.verify('Bearer ')).toBe(false);
  });

  it('with no keys configured it is open (the loopback-only local mode), every request the default owner', () => {
    const auth = new ApiKeyAuth([]);
    expect(auth.isOpen).toBe(true);
    expect(auth.verify(undefined)).toBe(true);
    expect(auth.ownerOf(undefined)).toBe('default');
    expect(auth.ownerOf('Bearer anything')).toBe('default');
  });

  it("answers the owner of the key that matches, a bare hash being the default owner's; null otherwise", () => {
    const auth = new ApiKeyAuth([
      { owner: 'alice', sha256: ApiKeyAuth.hash('k-alice') },
      { owner: 'alice', sha256: ApiKeyAuth.hash('k-alice-2') },
      { owner: 'bob', sha256: ApiKeyAuth.hash('k-bob') },
      ApiKeyAuth.hash('k-legacy'),
    ]);
    expect(auth.ownerOf('Bearer k-alice')).toBe('alice');
    expect(auth.ownerOf('Bearer k-alice-2')).toBe('alice');
    expect(auth.ownerOf('Bearer k-bob')).toBe('bob');
    expect(auth.ownerOf('Bearer k-legacy')).toBe('default');
    for (const header of [undefined, 'Bearer k-carol', 'k-bob', 'Bearer ']) expect(auth.ownerOf(header)).toBeNull();
  });

  it('compares against every key whichever owner matches (the owner is not found faster than a miss)', () => {
    const auth = new ApiKeyAuth([
      { owner: 'alice', sha256: ApiKeyAuth.hash('k-alice') },
      { owner: 'bob', sha256: ApiKeyAuth.hash('k-bob') },
    ]);
    for (const header of ['Bearer k-alice', 'Bearer k-bob', 'Bearer nope']) {
      timingSafeEqual.mockClear();
      auth.ownerOf(header);
      expect(timingSafeEqual, header).toHaveBeenCalledTimes(2);
    }
  });
});
