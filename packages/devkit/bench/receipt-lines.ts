/**
 * Receipt-like text for filling vector indexes: fictional merchants (name, street, city, phone)
 * and receipts of them (header, items, totals, payment), deterministic per seed. Embedded with
 * the pipeline's own embedder and context functions, the vectors cluster the way a real index's
 * do: a merchant's header lines repeat across its receipts, item and total lines repeat across
 * merchants.
 */

/** A seeded uniform [0, 1) generator (mulberry32): same seed, same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FillerMerchant {
  place_id: string;
  name: string;
  street: string;
  city: string;
  phone: string;
}

const ADJECTIVES = [
  'GOLDEN',
  'RIVERSIDE',
  'MAPLE',
  'NORTHERN',
  'BLUE',
  'CEDAR',
  'SUNNY',
  'OLD TOWN',
  'GREEN',
  'SILVER',
  'HAPPY',
  'EASTSIDE',
  'PRIME',
  'URBAN',
  'COUNTRY',
  'LUCKY',
];
const NOUNS = [
  'OAK',
  'HARBOR',
  'VALLEY',
  'BRIDGE',
  'GARDEN',
  'LANTERN',
  'MILL',
  'CORNER',
  'STAR',
  'PEAK',
  'FIELD',
  'STONE',
  'BAY',
  'ORCHARD',
];
const KINDS = [
  'MARKET',
  'CAFE',
  'PHARMACY',
  'HARDWARE',
  'BAKERY',
  'DELI',
  'GROCERY',
  'BOOKS',
  'FUEL',
  'RESTAURANT',
  'SDN BHD',
  'TRADING',
  'STORE',
  'KITCHEN',
];
const STREETS = [
  'MAIN ST',
  'ELM AVE',
  'JALAN BESAR',
  'HIGH STREET',
  'PARK RD',
  'LAKE BLVD',
  'MARKET ST',
  'CHURCH RD',
  'JALAN MERDEKA',
  'SUNSET DR',
  'BROADWAY',
  'KING ST',
];
const CITIES = [
  'OAKLAND, CA 94607',
  'KUALA LUMPUR 50450',
  'PORTLAND, OR 97214',
  'MADISON, WI 53703',
  'JOHOR BAHRU 80000',
  'AUSTIN, TX 78701',
  'DENVER, CO 80202',
  'PETALING JAYA 47301',
  'BOSTON, MA 02108',
  'SEATTLE, WA 98101',
];
const ITEMS = [
  'MILK 1L',
  'BREAD',
  'EGGS 10S',
  'COFFEE',
  'LATTE',
  'SUGAR 1KG',
  'RICE 5KG',
  'SCREWS',
  'PAINT BRUSH',
  'TOOTHPASTE',
  'VITAMIN C',
  'CROISSANT',
  'BANANAS',
  'CHICKEN RICE',
  'TEH TARIK',
  'NOTEBOOK A4',
  'PEN BLUE',
  'BATTERY AA',
  'WATER 500ML',
  'DIESEL',
  'SANDWICH',
  'TISSUE BOX',
  'SOAP',
  'NOODLES',
];
const PAYMENTS = ['CASH', 'VISA ****', 'MASTERCARD ****', 'DEBIT ****', 'AMEX ****'];

const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const digits = (random: () => number, n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
const money = (n: number) => n.toFixed(2);

/** `count` fictional merchants, each with a unique place id. */
export function fillerMerchants(count: number, seed = 7): FillerMerchant[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    place_id: `bench-place-${i}`,
    name: `${pick(random, ADJECTIVES)} ${pick(random, NOUNS)} ${pick(random, KINDS)}`,
    street: `${1 + Math.floor(random() * 2999)} ${pick(random, STREETS)}`,
    city: pick(random, CITIES),
    phone: `(${digits(random, 3)}) 555-${digits(random, 4)}`,
  }));
}

/** The lines of one receipt of `merchant`, top to bottom (about 12 to 25). */
export function receiptLines(merchant: FillerMerchant, random: () => number): string[] {
  const lines = [merchant.name, merchant.street, merchant.city, `TEL ${merchant.phone}`];
  const day = 1 + Math.floor(random() * 28);
  const month = 1 + Math.floor(random() * 12);
  lines.push(
    `${String(month).padStart(2, '0')}/${String(day).padStart(2, '0')}/2024 ${digits(random, 2)}:${digits(random, 2)}`,
  );
  lines.push(`RECEIPT NO ${digits(random, 6)}`);
  let subtotal = 0;
  const items = 2 + Math.floor(random() * 12);
  for (let i = 0; i < items; i++) {
    const price = Math.round((0.5 + random() * 40) * 100) / 100;
    subtotal += price;
    lines.push(`${pick(random, ITEMS)} ${money(price)}`);
  }
  const tax = Math.round(subtotal * 0.06 * 100) / 100;
  lines.push(`SUBTOTAL ${money(subtotal)}`, `TAX ${money(tax)}`, `TOTAL ${money(subtotal + tax)}`);
  const payment = pick(random, PAYMENTS);
  lines.push(payment.endsWith('****') ? `${payment}${digits(random, 4)}` : payment);
  lines.push('THANK YOU PLEASE COME AGAIN');
  return lines;
}
