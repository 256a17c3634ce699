import type { ReceiptPlace } from './place.js';
import type { VectorMetadata } from './vector.js';

/** The merchant fields that vector metadata carries; a change to any of them is re-applied. */
export const MERCHANT_METADATA_KEYS = ['merchant_name', 'place_id', 'merchant_address', 'merchant_phone', 'has_place'] as const;

/** The vector-metadata patch for a receipt's place, or the patch that clears it (`null`). */
export function placeMetadata(place: Pick<ReceiptPlace, 'merchant_name' | 'place_id' | 'address' | 'phone'> | null): VectorMetadata {
  return {
    merchant_name: place?.merchant_name ?? null,
    place_id: place?.place_id ?? null,
    merchant_address: place?.address ?? null,
    merchant_phone: place?.phone ?? null,
    has_place: place?.place_id != null,
  };
}
