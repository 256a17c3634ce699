import type { PlaceCandidate } from '@receiptflow/core';

/** A fictional merchant: what the catalog knows, plus what its receipts sell. */
export interface SyntheticMerchant {
  place_id: string;
  name: string;
  /** Street line as printed on the receipt. */
  street: string;
  /** "City, ST 12345" as printed on the receipt. */
  city: string;
  /** US-style, as printed, e.g. "(510) 555-0142". 555-01XX numbers are reserved for fiction. */
  phone: string;
  /** Items its receipts draw from, with typical prices in dollars. */
  goods: ReadonlyArray<readonly [name: string, price: number]>;
}

/** The merchants the demo receipts come from. Names, streets and phones are invented. */
export const SYNTHETIC_MERCHANTS: readonly SyntheticMerchant[] = [
  {
    place_id: 'syn-harbor-lane-grocery-oakland',
    name: 'HARBOR LANE GROCERY',
    street: '1452 HARBOR LANE',
    city: 'OAKLAND, CA 94607',
    phone: '(510) 555-0142',
    goods: [
      ['BANANAS', 1.29],
      ['WHOLE MILK', 4.49],
      ['SOURDOUGH', 5.99],
      ['EGGS DOZEN', 3.89],
      ['COFFEE BEANS', 11.99],
    ],
  },
  {
    place_id: 'syn-copper-kettle-boulder',
    name: 'COPPER KETTLE CAFE',
    street: '88 MAIN STREET',
    city: 'BOULDER, CO 80304',
    phone: '(303) 555-0177',
    goods: [
      ['LATTE', 4.75],
      ['CROISSANT', 3.5],
      ['DRIP COFFEE', 2.95],
      ['BAGEL', 2.25],
      ['CHAI TEA', 4.25],
    ],
  },
  {
    place_id: 'syn-pine-needle-hardware-portland',
    name: 'PINE AND NEEDLE HARDWARE',
    street: '2301 ELM AVENUE',
    city: 'PORTLAND, OR 97214',
    phone: '(503) 555-0119',
    goods: [
      ['WOOD SCREWS', 6.49],
      ['DUCT TAPE', 7.99],
      ['PAINT BRUSH', 8.5],
      ['HINGE SET', 12.99],
      ['SANDPAPER', 4.29],
    ],
  },
  {
    place_id: 'syn-sunrise-pharmacy-214-madison',
    name: 'SUNRISE PHARMACY 214',
    street: '640 LAKEVIEW BLVD',
    city: 'MADISON, WI 53703',
    phone: '(608) 555-0163',
    goods: [
      ['VITAMIN C', 9.99],
      ['BANDAGES', 4.59],
      ['TOOTHPASTE', 3.79],
      ['COUGH DROPS', 2.99],
      ['SUNSCREEN', 10.49],
    ],
  },
  {
    place_id: 'syn-bluebird-bakery-burlington',
    name: 'BLUEBIRD BAKERY',
    street: '17 ORCHARD ROAD',
    city: 'BURLINGTON, VT 05401',
    phone: '(802) 555-0128',
    goods: [
      ['BAGUETTE', 3.25],
      ['APPLE PIE', 14.0],
      ['SCONE', 2.75],
      ['RYE LOAF', 6.5],
      ['MUFFIN', 2.5],
    ],
  },
  {
    place_id: 'syn-metro-fuel-albany',
    name: 'METRO FUEL STOP',
    street: '9900 ROUTE 9',
    city: 'ALBANY, NY 12205',
    phone: '(518) 555-0185',
    goods: [
      ['UNLEADED FUEL', 38.6],
      ['WATER BOTTLE', 1.89],
      ['SNACK BAR', 1.49],
      ['CAR WASH', 9.0],
      ['ICE BAG', 2.99],
    ],
  },
  {
    place_id: 'syn-lucky-noodle-sf',
    name: 'LUCKY NOODLE HOUSE',
    street: '321 GRANT AVENUE',
    city: 'SAN FRANCISCO, CA 94108',
    phone: '(415) 555-0156',
    goods: [
      ['BEEF NOODLE SOUP', 13.5],
      ['DUMPLINGS', 8.95],
      ['FRIED RICE', 11.25],
      ['JASMINE TEA', 2.5],
      ['SPRING ROLLS', 6.75],
    ],
  },
];

/**
 * Look-alikes that a careless matcher would pick: the same chain's other branch, the same name
 * in another city, a similar name on a similar street, a neighbour on the same road. A resolver
 * must use address or phone to tell them apart from the real merchant (docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant).
 */
const DECOYS: readonly PlaceCandidate[] = [
  {
    place_id: 'syn-sunrise-pharmacy-215-madison',
    name: 'SUNRISE PHARMACY 215',
    formatted_address: '12 CAPITOL SQUARE, MADISON, WI 53703',
    phone: '(608) 555-0191',
  },
  {
    place_id: 'syn-copper-kettle-denver',
    name: 'COPPER KETTLE CAFE',
    formatted_address: '4100 PEARL STREET, DENVER, CO 80216',
    phone: '(720) 555-0110',
  },
  {
    place_id: 'syn-bluebird-bakeshop-burlington-nc',
    name: 'BLUEBIRD BAKESHOP',
    formatted_address: '17 ORCHARD STREET, BURLINGTON, NC 27215',
    phone: '(336) 555-0147',
  },
  {
    place_id: 'syn-harbor-lane-market-oakland',
    name: 'HARBOR LANE MARKET',
    formatted_address: '1500 HARBOR LANE, OAKLAND, CA 94607',
    phone: '(510) 555-0199',
  },
  {
    place_id: 'syn-lucky-noodle-bar-oakland',
    name: 'LUCKY NOODLE BAR',
    formatted_address: '55 GRAND AVENUE, OAKLAND, CA 94612',
    phone: '(510) 555-0133',
  },
  {
    place_id: 'syn-metro-fuel-schenectady',
    name: 'METRO FUEL STOP',
    formatted_address: '250 STATE STREET, SCHENECTADY, NY 12305',
    phone: '(518) 555-0102',
  },
];

/** The merchant as a Places candidate: one formatted address, phone as printed. */
export function merchantPlace(merchant: SyntheticMerchant): PlaceCandidate {
  return {
    place_id: merchant.place_id,
    name: merchant.name,
    formatted_address: `${merchant.street}, ${merchant.city}`,
    phone: merchant.phone,
  };
}

/** Every synthetic merchant plus the decoys, for a CatalogPlacesResolver or a fake Places server. */
export function syntheticCatalog(): PlaceCandidate[] {
  return [...SYNTHETIC_MERCHANTS.map(merchantPlace), ...DECOYS.map((d) => ({ ...d }))];
}
