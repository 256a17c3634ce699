import type { PlaceCandidate, PlaceSource, VectorMatch } from '../domain/index.js';
import type { Clock, Embedder, PlacesResolver, VectorIndex } from '../ports/index.js';
import { lineEmbeddingText } from './embedding-text.js';
import { phonesMatch } from './normalize.js';
import { extractMerchantSignals, type MerchantSignals } from './signals.js';
import {
  addressNumbersAgree,
  assessCandidate,
  nameLineMatches,
  pickCandidate,
  type CandidateAssessment,
  type ReceiptEvidence,
} from './validate-candidate.js';

export interface ResolveMerchantDeps {
  vectors: VectorIndex;
  embedder: Embedder;
  places: PlacesResolver;
  clock: Clock;
}

export interface ResolveMerchantOptions {
  /**
   * Embeddings of `lineEmbeddingText(receiptLines, i)` for each line, when the caller has them
   * already (processOcrResults embeds every line for the deltas): saves an embedding call.
   */
  lineVectors?: readonly (readonly number[])[];
  /** Vectors of this image are ignored, so a reprocessed receipt cannot vote for itself. */
  excludeImageId?: string;
  /** Set false to skip vector memory (evaluation of Places alone). */
  useMemory?: boolean;
  /** Set false to skip Places (evaluation of memory alone). */
  usePlaces?: boolean;
}

/** The merchant of one receipt, which source decided, and why. */
export interface MerchantResolution {
  merchant_name: string | null;
  place_id: string | null;
  address: string | null;
  phone: string | null;
  confidence: number;
  source: PlaceSource;
  /** Which signals agreed: 'memory', 'phone', 'address', 'name'. */
  evidence: string[];
  reason: string;
  signals: MerchantSignals;
  /** Places lookups made for this receipt (through the cache, if any). */
  places_calls: number;
  /** Wall time spent, from the clock. */
  elapsed_ms: number;
}

/** Neighbours per signature line. */
export const MEMORY_K = 10;
/**
 * Neighbours fetched per signature line. Memory queries carry no metadata filter: a filter that
 * matches nearly every record (`has_place: true`) makes Chroma build an allow-list as large as
 * the collection before searching, so each query would cost time proportional to the index.
 * Instead twice {@link MEMORY_K} neighbours are fetched and those without a place are dropped.
 */
export const MEMORY_QUERY_K = 2 * MEMORY_K;
/** A signature line this similar to a stored line of a merchant counts as a strong vote. */
export const MEMORY_STRONG_SIMILARITY = 0.9;
/** A neighbour must be at least this similar for its phone to be considered. */
export const MEMORY_PHONE_MIN_SIMILARITY = 0.5;
/** Strong votes from this many different signature lines accept a merchant without a phone. */
export const MEMORY_MIN_STRONG_LINES = 2;
const MAX_SIGNATURE_LINES = 8;

/**
 * Resolves the merchant of a receipt from its lines (top to bottom):
 * (a) vector memory: the merchant signature (name candidates, phone and address lines, embedded
 *     with context) is looked up in the `lines` collection, keeping neighbours from receipts
 *     with a place (`has_place: true`); votes are aggregated by place_id. A place is accepted when its
 *     phone agrees with the receipt's and its name or address does too, or when at least
 *     {@link MEMORY_MIN_STRONG_LINES} signature lines match its receipts at
 *     {@link MEMORY_STRONG_SIMILARITY} or more, its name appears on the receipt and neither
 *     phone nor address contradicts it;
 * (b) otherwise Places: phone lookup first, then a text search of name plus address, each
 *     result validated by {@link assessCandidate} (never a name-only match);
 * (c) otherwise source 'none', with the name, address and phone as printed and confidence 0.
 */
export async function resolveMerchant(
  deps: ResolveMerchantDeps,
  receiptLines: readonly string[],
  options: ResolveMerchantOptions = {},
): Promise<MerchantResolution> {
  const started = deps.clock.now();
  const lines = receiptLines.map((l) => l.trim());
  const signals = extractMerchantSignals(lines);
  const receipt: ReceiptEvidence = { signals, lines };
  const done = (r: Omit<MerchantResolution, 'signals' | 'elapsed_ms'>): MerchantResolution => ({
    ...r,
    signals,
    elapsed_ms: deps.clock.now() - started,
  });

  if (options.useMemory !== false) {
    const remembered = await fromMemory(deps, lines, receipt, options);
    if (remembered) return done({ ...fromAssessment(remembered.assessment, 'vector', ['memory']), reason: remembered.reason, places_calls: 0 });
  }

  let calls = 0;
  if (options.usePlaces !== false) {
    for (const phone of signals.phones.slice(0, 2)) {
      calls++;
      const pick = pickCandidate(await deps.places.findByPhone(phone), receipt);
      if (pick) return done({ ...fromAssessment(pick, 'places', []), reason: `places phone lookup: ${pick.reason}`, places_calls: calls });
    }
    for (const query of textQueries(signals)) {
      calls++;
      const pick = pickCandidate(await deps.places.searchText(query), receipt);
      if (pick) return done({ ...fromAssessment(pick, 'places', []), reason: `places text search: ${pick.reason}`, places_calls: calls });
    }
  }

  return done({
    merchant_name: signals.nameCandidates[0] ?? null,
    place_id: null,
    address: signals.addressLines.length > 0 ? signals.addressLines.join(', ') : null,
    phone: signals.phones[0] ?? null,
    confidence: 0,
    source: 'none',
    evidence: [],
    reason: 'no remembered or Places merchant agreed with the receipt; name, address and phone are as printed',
    places_calls: calls,
  });
}

/** At most two searches: best name with the address, then the runner-up name with it. */
function textQueries(signals: MerchantSignals): string[] {
  const address = signals.addressLines.join(' ');
  const queries = signals.nameCandidates.slice(0, 2).map((name) => `${name} ${address}`.trim());
  if (queries.length === 0 && address) queries.push(address);
  return [...new Set(queries)];
}

function fromAssessment(a: CandidateAssessment, source: PlaceSource, extraEvidence: string[]) {
  return {
    merchant_name: a.candidate.name,
    place_id: a.candidate.place_id,
    address: a.candidate.formatted_address,
    phone: a.candidate.phone,
    confidence: a.confidence,
    source,
    evidence: [...extraEvidence, ...a.evidence],
  };
}

/** The lines that identify a merchant: name candidates, phone lines, address lines. */
export function signatureLineIndexes(signals: MerchantSignals): number[] {
  const picked = [
    ...signals.nameLineIndexes.slice(0, 3),
    ...signals.phoneLineIndexes.slice(0, 2),
    ...signals.addressLineIndexes.slice(0, 3),
  ];
  return [...new Set(picked)].slice(0, MAX_SIGNATURE_LINES);
}

interface Votes {
  candidate: PlaceCandidate;
  /** Best similarity per signature line. */
  best: Map<number, number>;
  phoneAgrees: boolean;
}

async function fromMemory(
  deps: ResolveMerchantDeps,
  lines: readonly string[],
  receipt: ReceiptEvidence,
  options: ResolveMerchantOptions,
): Promise<{ assessment: CandidateAssessment; reason: string } | null> {
  const signature = signatureLineIndexes(receipt.signals);
  if (signature.length === 0) return null;
  const vectors = await signatureVectors(deps.embedder, lines, signature, options.lineVectors);
  const results = await Promise.all(
    vectors.map((vector) => deps.vectors.query('lines', { vector, k: MEMORY_QUERY_K })),
  );

  const votes = new Map<string, Votes>();
  results.forEach((matches: VectorMatch[], s) => {
    for (const m of placedNeighbours(matches)) {
      const candidate = candidateFromMetadata(m);
      if (!candidate || m.metadata.image_id === options.excludeImageId) continue;
      const v = votes.get(candidate.place_id) ?? { candidate, best: new Map(), phoneAgrees: false };
      v.best.set(s, Math.max(v.best.get(s) ?? -1, m.score));
      const storedPhone = typeof m.metadata.receipt_phone === 'string' ? m.metadata.receipt_phone : null;
      if (m.score >= MEMORY_PHONE_MIN_SIMILARITY && receipt.signals.phones.some((p) => phonesMatch(p, storedPhone) || phonesMatch(p, candidate.phone))) {
        v.phoneAgrees = true;
      }
      votes.set(candidate.place_id, v);
    }
  });

  const ranked = [...votes.values()]
    .map((v) => {
      const strong = [...v.best.values()].filter((s) => s >= MEMORY_STRONG_SIMILARITY);
      const mean = strong.length > 0 ? strong.reduce((a, b) => a + b, 0) / strong.length : 0;
      return { ...v, strong: strong.length, mean, assessment: assessCandidate(v.candidate, receipt) };
    })
    .sort((a, b) => Number(b.phoneAgrees) - Number(a.phoneAgrees) || b.strong - a.strong || b.mean - a.mean);

  for (const v of ranked) {
    const a = v.assessment;
    if (v.phoneAgrees && a.accepted && a.phoneMatch) {
      return { assessment: a, reason: `vector memory: a remembered receipt of this place has the same phone (${a.reason})` };
    }
  }
  const best = ranked[0];
  const runnerUp = ranked[1];
  if (!best || best.strong < MEMORY_MIN_STRONG_LINES) return null;
  // Two places equally supported means the memory cannot tell them apart (a chain's branches).
  if (runnerUp && runnerUp.strong >= best.strong) return null;
  const a = best.assessment;
  const phoneConflict = receipt.signals.phones.length > 0 && best.candidate.phone !== null && !a.phoneMatch;
  if (!a.nameShared || a.addressConflict || phoneConflict) return null;
  // Without a phone, memory only answers for the exact place: the whole name printed and every
  // address number agreeing. Near-duplicates ("ACME (M) SDN BHD" vs "ACME SDN BHD") and branches
  // sharing a head-office address are left to Places, which sees all of them.
  if (!nameLineMatches(best.candidate.name, receipt.signals.nameCandidates) || !addressNumbersAgree(receipt, best.candidate.formatted_address)) {
    return null;
  }
  const confidence = Math.min(0.95, 0.6 + 0.35 * best.mean);
  return {
    assessment: { ...a, accepted: true, confidence, evidence: [...new Set(['name', ...a.evidence])] },
    reason: `vector memory: ${best.strong} signature lines match remembered receipts of this place (mean ${best.mean.toFixed(3)})`,
  };
}

async function signatureVectors(
  embedder: Embedder,
  lines: readonly string[],
  signature: number[],
  lineVectors: readonly (readonly number[])[] | undefined,
): Promise<number[][]> {
  if (lineVectors && lineVectors.length === lines.length) return signature.map((i) => [...(lineVectors[i] ?? [])]);
  const { vectors } = await embedder.embed(signature.map((i) => lineEmbeddingText(lines, i)));
  return vectors;
}

/** The {@link MEMORY_K} best neighbours that belong to a receipt with a resolved place. */
function placedNeighbours(matches: readonly VectorMatch[]): VectorMatch[] {
  return matches.filter((m) => m.metadata.has_place === true).slice(0, MEMORY_K);
}

function candidateFromMetadata(m: VectorMatch): PlaceCandidate | null {
  const { place_id, merchant_name, merchant_address, merchant_phone } = m.metadata;
  if (typeof place_id !== 'string' || place_id === '' || typeof merchant_name !== 'string') return null;
  return {
    place_id,
    name: merchant_name,
    formatted_address: typeof merchant_address === 'string' ? merchant_address : null,
    phone: typeof merchant_phone === 'string' ? merchant_phone : null,
  };
}
