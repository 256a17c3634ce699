import type { ReceiptPlace } from './place.js';
import type { VectorMetadata } from './vector.js';

/** The merchant fields that vector metadata carries; a change to any of them is re-applied. */
export const MERCHANT_METADATA_KEYS = [
  'merchant_name',
  'place_id',
  'merchant_address',
  'merchant_phone',
  'has_place',
] as const;

/** The vector-metadata patch for a receipt's place, or the patch that clears it (`null`). */
export function placeMetadata(
  place: Pick<ReceiptPlace, 'merchant_name' | 'place_id' | 'address' | 'phone'> | null,
): VectorMetadata {
  return {
    merchant_name: place?.merchant_name ?? null,
    place_id: place?.place_id ?? null,
    merchant_address: place?.address ?? null,
    merchant_phone: place?.phone ?? null,
    has_place: place?.place_id != null,
  };
}

/**
 * Whether two versions of a receipt's place differ in any merchant field that vector metadata
 * carries (name, place id, address, phone, has_place). Fields the vectors do not carry
 * (confidence, evidence, timestamps) do not count: re-applying them would rewrite every vector
 * of the receipt for nothing (docs/lessons.md#lesson-16-stream-events-that-should-do-nothing-did-a-lot).
 *
 * @example
 * merchantMetadataChanged(place, { ...place, address: '2 Other St' }); // true
 * merchantMetadataChanged(place, { ...place, confidence: 0.5 }); // false
 */
export function merchantMetadataChanged(
  before: Parameters<typeof placeMetadata>[0],
  after: Parameters<typeof placeMetadata>[0],
): boolean {
  const a = placeMetadata(before);
  const b = placeMetadata(after);
  return MERCHANT_METADATA_KEYS.some((key) => a[key] !== b[key]);
}
