import * as z from 'zod';
import { PlaceCandidateSchema, ValidationError } from '@receiptflow/core';
import type { PlaceCandidate, PlacesResolver } from '@receiptflow/core';
import { yieldToEventLoop } from './yield-to-event-loop.js';

/** Fewer digits than this identify nobody: "0142" would match every number ending that way. */
const MIN_PHONE_DIGITS = 8;
const MAX_TEXT_RESULTS = 5;
/** A phone number inside a text query: digits with the usual separators, 8+ digits in all. */
const PHONE_IN_QUERY = /\+?\(?\d[\d\s().-]{6,18}\d/g;
/** Below this score a text match is noise: nonsense queries must return nothing. */
const MIN_TEXT_SCORE = 0.35;
/** Two tokens count as the same word when their trigrams agree this much (OCR slips). */
const FUZZY_TOKEN_SIMILARITY = 0.6;

export interface CatalogPlacesResolverOptions {
  /**
   * Whether text-search candidates carry their phone. Default true (the whole catalog entry, as
   * the fake Places server needs before it applies a field mask). The local runtime sets false,
   * mirroring GooglePlacesResolver, whose text search does not ask for phone numbers (they bill
   * at Text Search Enterprise): `pnpm eval` then measures resolution as production runs it.
   */
  textSearchPhones?: boolean;
}

/** How often each lookup was made; tests use it to prove caching saves calls. */
export interface PlacesCallCounts {
  phone: number;
  text: number;
  /** By-id lookups (`getPlace`). */
  details: number;
  total: number;
}

interface IndexedPlace {
  place: PlaceCandidate;
  phoneDigits: string;
  tokens: string[];
  tokenSet: Set<string>;
  trigrams: Set<string>;
}

/**
 * PlacesResolver over a fixed catalog (the synthetic merchants, or SROIE's places) that behaves
 * like Places enough for merchant resolution: phones match whatever their formatting, and text
 * search ranks by fuzzy overlap with name plus address, so a chain's other branch ranks below
 * the branch whose address was printed.
 */
export class CatalogPlacesResolver implements PlacesResolver {
  /** Lookups answered so far (blank or too-short queries are answered free and not counted). */
  readonly calls: PlacesCallCounts = { phone: 0, text: 0, details: 0, total: 0 };
  private readonly places: IndexedPlace[];
  /** Every distinct catalog word of 4+ letters with its trigrams: the fuzzy match's candidates. */
  private readonly vocabulary = new Map<string, Set<string>>();
  private readonly textSearchPhones: boolean;

  /**
   * Indexes a fixed list of places (the local stand-in for Google Places), copied at construction.
   *
   * @example
   * const places = new CatalogPlacesResolver([
   *   { place_id: 'p1', name: 'Harbor Lane Grocery', formatted_address: '12 Quay St', phone: '+1 555 123 4567' },
   * ]);
   * const [best] = await places.findByPhone('(555) 123-4567');
   * // As production's text search answers (no phone fields): new CatalogPlacesResolver(catalog, { textSearchPhones: false })
   */
  constructor(catalog: readonly PlaceCandidate[], options: CatalogPlacesResolverOptions = {}) {
    this.textSearchPhones = options.textSearchPhones ?? true;
    this.places = catalog.map((place) => {
      const text = `${place.name} ${place.formatted_address ?? ''}`;
      const tokens = tokenize(text);
      return {
        place: { ...place },
        phoneDigits: digits(place.phone ?? ''),
        tokens,
        tokenSet: new Set(tokens),
        trigrams: trigrams(text),
      };
    });
    for (const { tokens } of this.places)
      for (const token of tokens)
        if (token.length >= 4 && !this.vocabulary.has(token)) this.vocabulary.set(token, trigrams(token));
  }

  /** Parses a JSON array of PlaceCandidate; ValidationError names each bad entry. */
  static fromJson(text: string): CatalogPlacesResolver {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ValidationError('places catalog is not valid JSON', [(error as Error).message], { cause: error });
    }
    const parsed = z.array(PlaceCandidateSchema).safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => {
        const [index, ...field] = issue.path;
        const entry = typeof index === 'number' ? describeEntry(raw, index) : 'catalog';
        return `${entry}${field.length > 0 ? `.${field.join('.')}` : ''}: ${issue.message}`;
      });
      throw new ValidationError('places catalog has invalid entries', issues);
    }
    return new CatalogPlacesResolver(parsed.data);
  }

  async findByPhone(phone: string): Promise<PlaceCandidate[]> {
    const wanted = digits(phone);
    if (wanted.length < MIN_PHONE_DIGITS) return [];
    this.count('phone');
    return this.places
      .filter((p) => p.phoneDigits.length >= MIN_PHONE_DIGITS && samePhone(p.phoneDigits, wanted))
      .map((p) => ({ ...p.place }));
  }

  async searchText(query: string): Promise<PlaceCandidate[]> {
    // Google Places answers over the network, which lets the event loop turn between the
    // searches of one receipt; this stand-in scores the whole catalog, so it turns it first.
    await yieldToEventLoop();
    const queryTokens = tokenize(query);
    if (queryTokens.length === 0) return [];
    this.count('text');
    // Like Maps, a phone number typed into the search finds its place: each phone-shaped run
    // counts as found (all its tokens) for the places with that number.
    const phones = [...query.matchAll(PHONE_IN_QUERY)]
      .map((m) => ({ digits: digits(m[0]), tokens: tokenize(m[0]).length }))
      .filter((p) => p.digits.length >= MIN_PHONE_DIGITS);
    const queryTrigrams = trigrams(query);
    // Which catalog words each query word nearly is, once per query over the distinct words, not
    // once per place and place word: scoring the catalog was most of this stand-in's CPU, on the
    // main thread that serve shares with OCR (issue 18, P8).
    const words = queryTokens.map((token) => ({ token, near: token.length >= 4 ? this.nearWords(token) : null }));
    return this.places
      .map((p) => ({ p, score: score(words, queryTrigrams, p, phones) }))
      .filter(({ score }) => score >= MIN_TEXT_SCORE)
      .sort((a, b) => b.score - a.score || a.p.place.name.localeCompare(b.p.place.name))
      .slice(0, MAX_TEXT_RESULTS)
      .map(({ p }) => (this.textSearchPhones ? { ...p.place } : { ...p.place, phone: null }));
  }

  async getPlace(placeId: string): Promise<PlaceCandidate | null> {
    if (placeId.trim() === '') return null;
    this.count('details');
    const found = this.places.find((p) => p.place.place_id === placeId);
    return found ? { ...found.place } : null;
  }

  /** The catalog words of 4+ letters whose trigrams agree with `token`'s enough (OCR slips). */
  private nearWords(token: string): Set<string> {
    const grams = trigrams(token);
    const near = new Set<string>();
    for (const [word, wordGrams] of this.vocabulary)
      if (dice(wordGrams, grams) >= FUZZY_TOKEN_SIMILARITY) near.add(word);
    return near;
  }

  private count(kind: keyof Omit<PlacesCallCounts, 'total'>): void {
    this.calls[kind]++;
    this.calls.total++;
  }
}

function describeEntry(raw: unknown, index: number): string {
  const entry = Array.isArray(raw) ? (raw[index] as { place_id?: unknown } | undefined) : undefined;
  const id = entry && typeof entry.place_id === 'string' ? ` (${entry.place_id})` : '';
  return `entry ${index}${id}`;
}

function digits(text: string): string {
  return text.replace(/\D/g, '');
}

/** Compares the shorter number as a suffix of the longer, so +1 / 001 prefixes do not matter. */
function samePhone(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return long.endsWith(short);
}

function tokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^a-z0-9]+/)
    .filter((token) => token.length > 0);
}

function trigrams(text: string): Set<string> {
  const grams = new Set<string>();
  for (const token of tokenize(text)) {
    const padded = `  ${token} `;
    for (let i = 0; i + 3 <= padded.length; i++) grams.add(padded.slice(i, i + 3));
  }
  return grams;
}

function dice(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const gram of a) if (b.has(gram)) shared++;
  return (2 * shared) / (a.size + b.size);
}

/** A query word, with the catalog words it nearly is when it is long enough for the fuzzy match. */
interface QueryWord {
  token: string;
  near: Set<string> | null;
}

/**
 * 70% how many query words the place has (exactly, or nearly for words of 4+ letters, to absorb
 * OCR slips), 30% trigram similarity of the whole texts (rewards places that have little else).
 */
function score(
  words: readonly QueryWord[],
  queryTrigrams: Set<string>,
  place: IndexedPlace,
  phones: { digits: string; tokens: number }[] = [],
): number {
  let found = 0;
  for (const phone of phones) {
    if (place.phoneDigits.length >= MIN_PHONE_DIGITS && samePhone(place.phoneDigits, phone.digits))
      found += phone.tokens;
  }
  for (const { token, near } of words) {
    if (place.tokenSet.has(token)) found++;
    else if (near && place.tokens.some((t) => near.has(t))) found += 0.8;
  }
  return 0.7 * (found / words.length) + 0.3 * dice(queryTrigrams, place.trigrams);
}
