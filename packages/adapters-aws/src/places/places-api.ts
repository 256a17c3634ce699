import * as z from 'zod';
import type { PlaceCandidate } from '@receiptflow/core';

/**
 * Every Place field the resolver reads. The field masks are BUILT from these lists and the
 * response schema is checked against them at compile time, so a field cannot be read without
 * being asked for: docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant, where an
 * unmasked field silently came back empty.
 */
export const PLACE_FIELDS = [
  'id',
  'displayName',
  'formattedAddress',
  'nationalPhoneNumber',
  'internationalPhoneNumber',
] as const;
export type PlaceField = (typeof PLACE_FIELDS)[number];

/**
 * The Text Search (New) SKUs, cheapest first. Google bills a request at the highest SKU of any
 * field in its mask (docs/cost.md#google-places-one-sku-per-call).
 */
export const TEXT_SEARCH_SKUS = [
  'Text Search Essentials (IDs Only)',
  'Text Search Pro',
  'Text Search Enterprise',
] as const;
export type TextSearchSku = (typeof TEXT_SEARCH_SKUS)[number];

/** The SKU each field read bills at, as Google's field list assigns them. */
export const FIELD_SKU: Record<PlaceField, TextSearchSku> = {
  id: 'Text Search Essentials (IDs Only)',
  displayName: 'Text Search Pro',
  formattedAddress: 'Text Search Pro',
  nationalPhoneNumber: 'Text Search Enterprise',
  internationalPhoneNumber: 'Text Search Enterprise',
};

/**
 * A text search's fields: what candidate validation needs (id, name, address), no phone, so
 * the call bills at Text Search Pro, not Enterprise. The receipt's phone is still in the
 * query, so Google still finds a place by its number; it is only not sent back.
 */
export const TEXT_SEARCH_FIELDS = ['id', 'displayName', 'formattedAddress'] as const satisfies readonly PlaceField[];
/** A phone lookup must see each result's number to keep only the owner: Text Search Enterprise. */
export const PHONE_LOOKUP_FIELDS = PLACE_FIELDS;

/**
 * A by-id lookup (Place Details) reads what a merchant correction stores: name, address and the
 * phone. The phone bills it as Place Details Enterprise; it is asked only when a person picks a
 * place none of their receipts knows (docs/cost.md#google-places-one-sku-per-call).
 */
export const PLACE_DETAILS_FIELDS = PLACE_FIELDS;

const maskOf = (fields: readonly PlaceField[]) => fields.map((field) => `places.${field}`).join(',');
/** The X-Goog-FieldMask of a text search: `places.id,places.displayName,places.formattedAddress`. */
export const TEXT_SEARCH_FIELD_MASK = maskOf(TEXT_SEARCH_FIELDS);
/** The X-Goog-FieldMask of a phone lookup: the text search's fields plus both phone numbers. */
export const PHONE_LOOKUP_FIELD_MASK = maskOf(PHONE_LOOKUP_FIELDS);
/**
 * The X-Goog-FieldMask of Place Details (`GET /v1/places/{id}`): the fields are the place's own,
 * not under `places.`: `id,displayName,formattedAddress,nationalPhoneNumber,internationalPhoneNumber`.
 */
export const PLACE_DETAILS_FIELD_MASK = PLACE_DETAILS_FIELDS.join(',');

/**
 * The SKU a request with this field mask bills at: the highest of its fields'. A field this
 * table does not know is counted at Enterprise, the dearest tier the resolver could hit.
 *
 * @example
 * skuOfFieldMask(TEXT_SEARCH_FIELD_MASK); // 'Text Search Pro'
 * skuOfFieldMask('places.id'); // 'Text Search Essentials (IDs Only)'
 */
export function skuOfFieldMask(fieldMask: string): TextSearchSku {
  let rank = 0;
  for (const path of fieldMask.split(',').map((p) => p.trim())) {
    const field = path.replace(/^places\./, '');
    if (field === 'name' || field === '') continue; // the resource name is an ID-only field
    const sku = (FIELD_SKU as Record<string, TextSearchSku>)[field] ?? 'Text Search Enterprise';
    rank = Math.max(rank, TEXT_SEARCH_SKUS.indexOf(sku));
  }
  return TEXT_SEARCH_SKUS[rank]!;
}

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
