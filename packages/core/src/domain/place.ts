import { z } from 'zod';
import { IdSchema, ReceiptIdSchema } from './ids.js';

/** One place as the Places service (or its local catalog stand-in) describes it. */
export const PlaceCandidateSchema = z.object({
  place_id: z.string().min(1),
  name: z.string(),
  formatted_address: z.string().nullable(),
  phone: z.string().nullable(),
});
export type PlaceCandidate = z.infer<typeof PlaceCandidateSchema>;

export const PlaceSourceSchema = z.enum(['vector', 'places', 'none']);
export type PlaceSource = z.infer<typeof PlaceSourceSchema>;

/** The merchant resolved for one receipt, and which source decided it. */
export const ReceiptPlaceSchema = z.object({
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
});
export type ReceiptPlace = z.infer<typeof ReceiptPlaceSchema>;

/** A cached Places answer. NO_RESULTS is remembered too, but never served as a match. */
export const PlacesCacheEntrySchema = z.object({
  key: z.string().min(1),
  status: z.enum(['OK', 'NO_RESULTS']),
  candidates: z.array(PlaceCandidateSchema),
  fetched_at: z.string().datetime(),
  expires_at: z.string().datetime(),
});
export type PlacesCacheEntry = z.infer<typeof PlacesCacheEntrySchema>;
