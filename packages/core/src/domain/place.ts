import * as z from 'zod';
import { schema } from '../schema.js';
import { IdSchema, ReceiptIdSchema } from './ids.js';

/** One place as the Places service (or its local catalog stand-in) describes it. */
export const PlaceCandidateSchema = /* @__PURE__ */ schema(() =>
  z.object({
    place_id: z.string().min(1),
    name: z.string(),
    formatted_address: z.string().nullable(),
    phone: z.string().nullable(),
  }),
);
export type PlaceCandidate = z.infer<typeof PlaceCandidateSchema>;

/**
 * Who decided a receipt's merchant: vector memory, the Places service, nobody (`none`), or a
 * person (`user`, a correction). A user's merchant is final: reprocessing never replaces it.
 */
export const PlaceSourceSchema = /* @__PURE__ */ schema(() => z.enum(['vector', 'places', 'none', 'user']));
export type PlaceSource = z.infer<typeof PlaceSourceSchema>;

/**
 * Set on a place whose merchant Places could not be asked for (an outage, a refused key): the
 * receipt is stored and compacted with the merchant as printed, and the sweep re-sends its
 * results message so resolution is tried again (docs/merchant-resolution.md#when-places-is-down).
 * `PENDING` is retried; `UNRESOLVED` is final after `attempts` reached the bound. A place without
 * it was decided (by memory, Places, or as "none" after Places answered).
 */
export const MerchantRetrySchema = /* @__PURE__ */ schema(() =>
  z.object({
    state: z.enum(['PENDING', 'UNRESOLVED']),
    /** Resolutions tried so far whose Places lookup failed (1 on the first). */
    attempts: z.number().int().min(1),
    /** The last Places failure, as raised. */
    last_error: z.string(),
    last_attempt_at: z.string().datetime(),
  }),
);
export type MerchantRetry = z.infer<typeof MerchantRetrySchema>;

/** The merchant resolved for one receipt, and which source decided it. */
export const ReceiptPlaceSchema = /* @__PURE__ */ schema(() =>
  z.object({
    image_id: IdSchema,
    receipt_id: ReceiptIdSchema,
    merchant_name: z.string().nullable(),
    place_id: z.string().nullable(),
    address: z.string().nullable(),
    phone: z.string().nullable(),
    confidence: z.number().min(0).max(1),
    source: PlaceSourceSchema,
    /** Which signals agreed: 'phone', 'address', 'name', 'memory'. */
    evidence: z.array(z.string()),
    created_at: z.string().datetime(),
    /** Present while (or after) Places was unavailable for this receipt; see MerchantRetrySchema. */
    merchant_retry: MerchantRetrySchema.optional(),
  }),
);
export type ReceiptPlace = z.infer<typeof ReceiptPlaceSchema>;

/** A cached Places answer. NO_RESULTS is remembered too, but never served as a match. */
export const PlacesCacheEntrySchema = /* @__PURE__ */ schema(() =>
  z.object({
    key: z.string().min(1),
    status: z.enum(['OK', 'NO_RESULTS']),
    candidates: z.array(PlaceCandidateSchema),
    fetched_at: z.string().datetime(),
    expires_at: z.string().datetime(),
  }),
);
export type PlacesCacheEntry = z.infer<typeof PlacesCacheEntrySchema>;
