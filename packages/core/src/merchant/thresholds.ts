import * as z from 'zod';
import { schema } from '../schema.js';

/**
 * Every number that decides whether a merchant answer is given, in one place, each with the
 * reason for its value. Values were measured with `pnpm eval` on the SROIE dev receipts (see
 * docs/merchant-resolution.md, "Thresholds"); the embedder-dependent ones are per embedder model
 * because similarities from one embedder mean nothing for another.
 */

// ---- Candidate validation (embedder-independent: token and digit comparisons) -------------

/**
 * Address token overlap (numbers weigh double) at or above this is an address match. Half of
 * the smaller address: receipts often print only the street and postcode of a longer address.
 */
export const ADDRESS_MATCH_THRESHOLD = 0.5;
/**
 * A weaker address agreement that only counts together with a very similar name. 0.3 is two
 * shared tokens of a typical six-token address: a street and a town, not a town alone.
 */
export const ADDRESS_PARTIAL_THRESHOLD = 0.3;
/**
 * Name similarity this high may stand in for a full address match, but never alone: a 0.79
 * name-only match once picked the wrong merchant (docs/lessons.md#lesson-21-places-accepted-the-wrong-merchant), and so would a 0.99 one for a chain.
 */
export const NAME_HIGH_THRESHOLD = 0.9;
/**
 * With an address that agrees but for one misread postcode digit, a name this similar confirms
 * the place: half the name's trigrams or tokens, enough for "PRGAR MINT JIN SCRE" to be
 * "PASAR MINI JIN SENG" and not for a neighbour that shares only the street.
 */
export const NAME_MISREAD_THRESHOLD = 0.5;
/**
 * Fewer shared tokens than this never make an address-coverage match: a town and a state agree
 * between unrelated shops in the same town.
 */
export const MIN_COVERAGE_TOKENS = 3;
/**
 * A remembered place matched by an identity key (tax id, registration number, phone) must have
 * at least this share of its address numbers printed on the receipt (a misread digit allowed).
 * 0.6 lets one number of three be lost to OCR (a smudged postcode) while a branch of the same
 * company elsewhere, which shares the keys but not the street numbers, stays out.
 */
export const MEMORY_KEY_ADDRESS_NUMBERS = 0.6;
/**
 * With both company identifiers in common (tax id and registration number), half of the address
 * numbers, at least two of them, suffice: OCR often loses a whole address line, and two
 * matching street numbers under the same company's ids leave no other shop.
 */
export const MEMORY_TWO_KEYS_ADDRESS_NUMBERS = 0.5;

// ---- Phone and identifier reading --------------------------------------------------------

/** Fewer digits than this identify nobody. */
export const MIN_PHONE_DIGITS = 7;
/** Numbers are compared on this many trailing digits, so area-code prefixes and `0`/`+60` agree. */
export const PHONE_SUFFIX_DIGITS = 9;
/**
 * A tax or registration id shorter than this (after OCR folding) is not used as a memory key:
 * short ids collide between companies, and a garbled long one read short is a different id.
 */
export const MIN_IDENTIFIER_DIGITS = 6;

// ---- Vector memory (embedder-dependent) ---------------------------------------------------

export const MemoryThresholdsSchema = /* @__PURE__ */ schema(() =>
  z.object({
    /**
     * A signature line this similar to a stored line of a merchant counts as a strong vote.
     * With the hashing embedder, the same header line under two OCR readings scores 0.85–1.0 and
     * unrelated header lines at most ~0.6.
     */
    strongSimilarity: z.number().min(0).max(1),
    /** A neighbour must be at least this similar for its stored phone to be considered. */
    phoneMinSimilarity: z.number().min(0).max(1),
    /** Strong votes from this many different signature lines accept a merchant without a key. */
    minStrongLines: z.number().int().min(1),
    /** Neighbours per signature line; 2× are fetched, since those without a place are dropped. */
    k: z.number().int().min(1).max(50),
  }),
);
export type MemoryThresholds = z.infer<typeof MemoryThresholdsSchema>;

/**
 * Documented defaults per embedder model (Embedder.model). The hashing embedder's values were
 * calibrated on SROIE dev; OpenAI's are a starting point from its published similarity range
 * (related short texts 0.75–0.95) and should be recalibrated on one's own receipts: see
 * docs/merchant-resolution.md, "Recalibrating for another embedder".
 */
export const DEFAULT_MEMORY_THRESHOLDS: Readonly<Record<string, MemoryThresholds>> = {
  'hashing-ngram-v1': { strongSimilarity: 0.9, phoneMinSimilarity: 0.5, minStrongLines: 2, k: 10 },
  'text-embedding-3-small': { strongSimilarity: 0.93, phoneMinSimilarity: 0.6, minStrongLines: 2, k: 10 },
};

/** Used for a model without its own entry: the strictest values of the table. */
export const FALLBACK_MEMORY_THRESHOLDS: MemoryThresholds = {
  strongSimilarity: 0.95,
  phoneMinSimilarity: 0.6,
  minStrongLines: 3,
  k: 10,
};

/**
 * The memory thresholds for an embedder model, with any overrides applied (validated).
 *
 * @example
 * memoryThresholdsFor('hashing-ngram-v1').strongSimilarity; // 0.9
 * memoryThresholdsFor('my-model', { strongSimilarity: 0.8 }); // fallback values, one overridden
 */
export function memoryThresholdsFor(model: string, overrides: Partial<MemoryThresholds> = {}): MemoryThresholds {
  const base = DEFAULT_MEMORY_THRESHOLDS[model] ?? FALLBACK_MEMORY_THRESHOLDS;
  return MemoryThresholdsSchema.parse({ ...base, ...overrides });
}
