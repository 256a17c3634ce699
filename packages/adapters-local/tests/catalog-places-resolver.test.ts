import { describe, expect, it } from 'vitest';
import { ValidationError } from '@receiptflow/core';
import type { PlaceCandidate } from '@receiptflow/core';
import { describePlacesResolverContract } from '@receiptflow/core/testing';
import { CatalogPlacesResolver } from '../src/catalog-places-resolver.js';
import { SYNTHETIC_MERCHANTS, merchantPlace, syntheticCatalog } from '../src/synthetic/index.js';

const bakery = merchantPlace(SYNTHETIC_MERCHANTS.find((m) => m.name === 'BLUEBIRD BAKERY')!);

describePlacesResolverContract('CatalogPlacesResolver', async () => ({
  subject: new CatalogPlacesResolver(syntheticCatalog()),
  known: {
    place_id: bakery.place_id,
    name: bakery.name,
    formatted_address: bakery.formatted_address!,
    phone: bakery.phone!,
  },
}));

describe('CatalogPlacesResolver', () => {
  const catalog = syntheticCatalog();
  const byId = (id: string) => catalog.find((p) => p.place_id === id)!;

  it('counts phone and text lookups, but not blank ones it answers for free', async () => {
    const resolver = new CatalogPlacesResolver(catalog);
    await resolver.findByPhone('(608) 555-0163');
    await resolver.findByPhone('+1 802 555 0128');
    await resolver.searchText('bluebird bakery');
    await resolver.searchText('   ');
    await resolver.findByPhone('');
    expect(resolver.calls).toEqual({ phone: 2, text: 1, details: 0, total: 3 });
  });

  it('textSearchPhones: false answers a text search as the Text Search Pro mask does (no phone); a phone lookup keeps it', async () => {
    const resolver = new CatalogPlacesResolver(catalog, { textSearchPhones: false });
    const [byText] = await resolver.searchText(`${bakery.name} ${bakery.formatted_address}`);
    expect(byText).toEqual({ ...bakery, phone: null });
    const [byPhone] = await resolver.findByPhone(bakery.phone!);
    expect(byPhone).toEqual(bakery);
    // The default keeps the whole entry (the fake Places server masks it itself).
    expect((await new CatalogPlacesResolver(catalog).searchText(bakery.name))[0]?.phone).toBe(bakery.phone);
  });

  it("ranks the printed branch above the same chain's other branch", async () => {
    const resolver = new CatalogPlacesResolver(catalog);
    const branch214 = byId('syn-sunrise-pharmacy-214-madison');
    const found = await resolver.searchText(`${branch214.name} ${branch214.formatted_address}`);
    expect(found.map((p) => p.place_id).slice(0, 2)).toEqual([
      'syn-sunrise-pharmacy-214-madison',
      'syn-sunrise-pharmacy-215-madison',
    ]);
  });

  it('tells a name twin apart by its address', async () => {
    const resolver = new CatalogPlacesResolver(catalog);
    const found = await resolver.searchText('COPPER KETTLE CAFE 4100 PEARL STREET DENVER');
    expect(found[0]?.place_id).toBe('syn-copper-kettle-denver');
  });

  it('absorbs OCR slips in words of four letters or more', async () => {
    const resolver = new CatalogPlacesResolver(catalog);
    const found = await resolver.searchText('HARB0R LANE GR0CERY 1452 HARB0R LANE 0AKLAND');
    expect(found[0]?.place_id).toBe('syn-harbor-lane-grocery-oakland');
  });

  it('returns at most five candidates', async () => {
    const many: PlaceCandidate[] = Array.from({ length: 12 }, (_, i) => ({
      place_id: `p${i}`,
      name: `CORNER STORE ${i}`,
      formatted_address: 'MAIN STREET',
      phone: null,
    }));
    expect(await new CatalogPlacesResolver(many).searchText('corner store main street')).toHaveLength(5);
  });

  it('ignores catalog entries without a phone in phone lookups', async () => {
    const resolver = new CatalogPlacesResolver([
      { place_id: 'x', name: 'NO PHONE', formatted_address: null, phone: null },
    ]);
    expect(await resolver.findByPhone('(510) 555-0142')).toEqual([]);
  });

  it('returns copies, so callers cannot corrupt the catalog', async () => {
    const resolver = new CatalogPlacesResolver(catalog);
    const [first] = await resolver.findByPhone('(510) 555-0142');
    first!.name = 'CHANGED';
    expect((await resolver.findByPhone('(510) 555-0142'))[0]?.name).toBe('HARBOR LANE GROCERY');
  });

  describe('fromJson', () => {
    it('loads a valid catalog', async () => {
      const resolver = CatalogPlacesResolver.fromJson(JSON.stringify(catalog));
      expect((await resolver.findByPhone('415-555-0156'))[0]?.place_id).toBe('syn-lucky-noodle-sf');
    });

    it('names each bad entry by index and place_id', () => {
      const bad = JSON.stringify([
        catalog[0],
        { place_id: 'broken-1', name: 42, formatted_address: null, phone: null },
        { name: 'no id', formatted_address: null, phone: null },
      ]);
      const error = captureError(() => CatalogPlacesResolver.fromJson(bad));
      expect(error).toBeInstanceOf(ValidationError);
      const issues = (error as ValidationError).issues.join('\n');
      expect(issues).toContain('entry 1 (broken-1).name');
      expect(issues).toContain('entry 2.place_id');
    });

    it('refuses text that is not JSON', () => {
      expect(captureError(() => CatalogPlacesResolver.fromJson('{oops'))).toBeInstanceOf(ValidationError);
    });
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
