import { describe, expect, it } from 'vitest';
import { PlaceCandidateSchema } from '../domain/index.js';
import type { PlacesResolver } from '../ports/index.js';
import { type ContractSubject, withFreshSubject } from './contract-helpers.js';

/** A place the resolver under test is known to hold. */
export interface KnownPlace {
  place_id: string;
  name: string;
  formatted_address: string;
  /** A US-style number (10 national digits), in any formatting. */
  phone: string;
}

/** What {@link describePlacesResolverContract} needs from the adapter under test. */
export interface PlacesResolverContractFixture extends ContractSubject<PlacesResolver> {
  known: KnownPlace;
}

/**
 * The behaviour every {@link PlacesResolver} promises (the local catalog and Google Places).
 * Merchant resolution relies on it: phone matches survive any formatting, nothing matches
 * nonsense, and name plus address finds the right branch first.
 */
export function describePlacesResolverContract(
  name: string,
  factory: () => Promise<PlacesResolverContractFixture>,
): void {
  describe(`PlacesResolver contract: ${name}`, () => {
    let fixture: PlacesResolverContractFixture;

    withFreshSubject(factory, (created) => {
      fixture = created;
    });

    const ids = (places: Array<{ place_id: string }>) => places.map((p) => p.place_id);

    it('finds the known place by its phone as given', async () => {
      const found = await fixture.subject.findByPhone(fixture.known.phone);
      expect(ids(found)).toContain(fixture.known.place_id);
      for (const place of found) expect(PlaceCandidateSchema.safeParse(place).success).toBe(true);
    });

    it('finds the known place by phone whatever the formatting or country prefix', async () => {
      for (const variant of phoneVariants(fixture.known.phone)) {
        const found = await fixture.subject.findByPhone(variant);
        expect(ids(found), `phone written as "${variant}"`).toContain(fixture.known.place_id);
      }
    });

    it('returns only places whose phone matches', async () => {
      const wanted = nationalDigits(fixture.known.phone);
      const found = await fixture.subject.findByPhone(fixture.known.phone);
      for (const place of found) expect(nationalDigits(place.phone ?? '')).toBe(wanted);
    });

    it('returns [] for a phone number nobody has', async () => {
      expect(await fixture.subject.findByPhone('+1 (000) 000-0000')).toEqual([]);
    });

    it('returns [] for a phone with too few digits to identify anyone, or none at all', async () => {
      const lastFour = nationalDigits(fixture.known.phone).slice(-4);
      expect(await fixture.subject.findByPhone(lastFour)).toEqual([]);
      expect(await fixture.subject.findByPhone('')).toEqual([]);
      expect(await fixture.subject.findByPhone('n/a')).toEqual([]);
    });

    it('finds the known place first by name plus address', async () => {
      const found = await fixture.subject.searchText(`${fixture.known.name} ${fixture.known.formatted_address}`);
      expect(found[0]?.place_id).toBe(fixture.known.place_id);
      for (const place of found) expect(PlaceCandidateSchema.safeParse(place).success).toBe(true);
    });

    it('gets the known place by its id, with name, address and phone', async () => {
      const place = await fixture.subject.getPlace(fixture.known.place_id);
      expect(PlaceCandidateSchema.safeParse(place).success).toBe(true);
      expect(place).toMatchObject({
        place_id: fixture.known.place_id,
        name: fixture.known.name,
        formatted_address: fixture.known.formatted_address,
      });
      expect(nationalDigits(place?.phone ?? '')).toBe(nationalDigits(fixture.known.phone));
    });

    it('returns null for an id it does not know, and for a blank one', async () => {
      expect(await fixture.subject.getPlace('no-such-place-zqxvj')).toBeNull();
      expect(await fixture.subject.getPlace('  ')).toBeNull();
    });

    it('returns [] for a nonsense query and for a blank one', async () => {
      expect(await fixture.subject.searchText('zqxvj wplmkr qqzzt')).toEqual([]);
      expect(await fixture.subject.searchText('   ')).toEqual([]);
    });
  });
}

function nationalDigits(phone: string): string {
  return phone.replace(/\D/g, '').slice(-10);
}

/** The same number as receipts print it: bare digits, spaces, dashes, dots, +1 prefixes. */
function phoneVariants(phone: string): string[] {
  const d = nationalDigits(phone);
  const [area, exchange, line] = [d.slice(0, 3), d.slice(3, 6), d.slice(6)];
  return [
    d,
    `${area} ${exchange} ${line}`,
    `${area}-${exchange}-${line}`,
    `(${area}) ${exchange}-${line}`,
    `${area}.${exchange}.${line}`,
    `+1 ${area} ${exchange} ${line}`,
    `+1-${area}-${exchange}-${line}`,
    `1${d}`,
    `TEL: ${area}-${exchange}-${line}`,
  ];
}
