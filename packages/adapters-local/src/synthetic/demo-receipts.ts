import { SYNTHETIC_MERCHANTS, merchantPlace } from './synthetic-merchants.js';
import type { ReceiptItem, ReceiptSpec } from './receipt-spec.js';

/** What a demo receipt should resolve to: the merchant and the fields printed on it. */
export interface DemoReceiptTruth {
  place_id: string;
  merchant_name: string;
  formatted_address: string;
  phone: string;
  date: string;
  total: number;
}

/** A receipt spec to render plus the answer the pipeline should reach. */
export interface DemoReceipt {
  /** Stable per seed and position, usable as a file name: `demo-<seed>-<n>`. */
  id: string;
  spec: ReceiptSpec;
  truth: DemoReceiptTruth;
}

/**
 * Merchant visits, by index into SYNTHETIC_MERCHANTS: six merchants, two of them visited twice,
 * so that the second visit can be resolved from vector memory instead of Places.
 */
const VISITS = [0, 1, 3, 4, 0, 5, 6, 3] as const;

/**
 * About eight receipts with ground truth. The same seed always gives the same receipts; the
 * seed picks items, quantities and dates, never the merchants, so every seed covers repeats.
 */
export function demoReceipts(seed = 1): DemoReceipt[] {
  const random = mulberry32(seed);
  return VISITS.map((merchantIndex, n) => {
    const merchant = SYNTHETIC_MERCHANTS[merchantIndex]!;
    const place = merchantPlace(merchant);
    const itemCount = 2 + Math.floor(random() * 3);
    const goods = shuffle([...merchant.goods], random).slice(0, itemCount);
    const items: ReceiptItem[] = goods.map(([name, price]) => ({ name, price }));
    // Sum in cents so the printed total is exactly the sum of the printed prices.
    const totalCents = items.reduce((sum, item) => sum + Math.round(item.price * 100), 0);
    const date = usDate(2024, 1 + Math.floor(random() * 12), 1 + Math.floor(random() * 28));
    const spec: ReceiptSpec = {
      merchant_name: merchant.name,
      address_lines: [merchant.street, merchant.city],
      phone: merchant.phone,
      date,
      items,
      total: totalCents / 100,
    };
    return {
      id: `demo-${seed}-${n + 1}`,
      spec,
      truth: {
        place_id: place.place_id,
        merchant_name: place.name,
        formatted_address: place.formatted_address!,
        phone: merchant.phone,
        date,
        total: spec.total,
      },
    };
  });
}

function usDate(year: number, month: number, day: number): string {
  return `${String(month).padStart(2, '0')}/${String(day).padStart(2, '0')}/${year}`;
}

/** A tiny seeded PRNG: deterministic, good enough to vary demo data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
