import { z } from 'zod';
import type { PlaceCandidate } from '@receiptflow/core';

/**
 * Every Place field the resolver reads. The field mask is BUILT from this list and the response
 * schema is checked against it at compile time, so a field cannot be read without being asked
 * for: docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant, where an unmasked field silently came back empty.
 */
export const PLACE_FIELDS = [
  'id',
  'displayName',
  'formattedAddress',
  'nationalPhoneNumber',
  'internationalPhoneNumber',
] as const;
export type PlaceField = (typeof PLACE_FIELDS)[number];

/** The X-Goog-FieldMask header value: `places.id,places.displayName,…`. */
export const PLACES_FIELD_MASK = PLACE_FIELDS.map((field) => `places.${field}`).join(',');

const placeShape = {
  id: z.string().min(1),
  displayName: z.object({ text: z.string(), languageCode: z.string().optional() }).optional(),
  formattedAddress: z.string().optional(),
  nationalPhoneNumber: z.string().optional(),
  internationalPhoneNumber: z.string().optional(),
} satisfies Record<PlaceField, z.ZodType>;

/** A Places API (New) place, restricted to the masked fields. Google omits empty fields. */
export const PlacesApiPlaceSchema = z.object(placeShape);
export type PlacesApiPlace = z.infer<typeof PlacesApiPlaceSchema>;

/** searchText's answer: `{}` when nothing matched, else `{ places: [...] }`. */
export const SearchTextResponseSchema = z.object({ places: z.array(PlacesApiPlaceSchema).optional() });

/** Google's error envelope: `{ error: { code, message, status } }`. */
export const PlacesApiErrorSchema = z.object({
  error: z.object({ code: z.number().optional(), message: z.string().optional(), status: z.string().optional() }),
});

/** A Places API place as core's candidate; the national number is what receipts print. */
export function toPlaceCandidate(place: PlacesApiPlace): PlaceCandidate {
  return {
    place_id: place.id,
    name: place.displayName?.text ?? '',
    formatted_address: place.formattedAddress ?? null,
    phone: place.nationalPhoneNumber ?? place.internationalPhoneNumber ?? null,
  };
}
