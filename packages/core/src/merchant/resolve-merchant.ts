import type { PlaceCandidate, PlaceSource, VectorMatch } from '../domain/index.js';
import { DependencyFailure } from '../errors.js';
import type { Clock, Embedder, PlacesResolver, VectorIndex } from '../ports/index.js';
import { lineEmbeddingText } from './embedding-text.js';
import { phonesMatch } from './normalize.js';
import { buildPlacesQuery } from './places-query.js';
import { extractMerchantSignals, type MerchantSignals } from './signals.js';
import { memoryThresholdsFor, type MemoryThresholds } from './thresholds.js';
import {
  addressNumbersAgree,
  assessCandidate,
  assessRemembered,
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
  /** Memory thresholds; default: the documented values for `embedder.model` (thresholds.ts). */
  memoryThresholds?: MemoryThresholds;
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
  /**
   * Places lookups allowed for this receipt, at most {@link MAX_PLACES_LOOKUPS} (the default):
   * 1 keeps the text search only, without the phone check that may follow it.
   */
  maxPlacesLookups?: number;
}

/** One candidate place as it was judged, for `pnpm eval --explain`. */
export interface CandidateVerdict {
  place_id: string;
  name: string;
  address: string | null;
  accepted: boolean;
  confidence: number;
  reason: string;
}

/** A remembered place found for this receipt, how it was found, and the verdict. */
export interface MemoryNeighbour extends CandidateVerdict {
  /** 'phone', 'tax_id', 'registration' (exact metadata keys) or 'vector' (similar lines). */
  via: string[];
  /** Best similarity of any signature line to this place's stored lines. */
  best_similarity: number;
  /** Signature lines matching at the strong threshold. */
  strong_lines: number;
}

/** One Places call: what was asked and what came back. */
export interface PlacesAttempt {
  kind: 'text' | 'phone';
  query: string;
  candidates: CandidateVerdict[];
}

/** Everything the decision looked at, in the order it looked. */
export interface ResolutionTrace {
  memory: MemoryNeighbour[];
  places: PlacesAttempt[];
}

/** The merchant of one receipt, which source decided, and why. */
export interface MerchantResolution {
  merchant_name: string | null;
  place_id: string | null;
  address: string | null;
  phone: string | null;
  confidence: number;
  source: PlaceSource;
  /** Which signals agreed: 'memory', 'phone', 'address', 'name', 'tax_id', 'registration'. */
  evidence: string[];
  reason: string;
  signals: MerchantSignals;
  /** Places lookups made for this receipt (through the cache, if any). */
  places_calls: number;
  /** True when the first Places answer failed validation and a second lookup was made. */
  second_call: boolean;
  /**
   * Set when memory did not answer and a Places lookup failed (outage, refused key): the
   * resolution is `none` for now and worth retrying, never a verdict on the receipt.
   */
  places_error?: string;
  /**
   * The vectors of the signature lines that memory compared, by line index: embedded here when
   * no `lineVectors` were given, so the caller embeds the rest of the receipt without them.
   */
  signature_vectors: ReadonlyMap<number, readonly number[]>;
  trace: ResolutionTrace;
  /** Wall time spent, from the clock. */
  elapsed_ms: number;
}

/** Metadata keys of line vectors that hold a receipt's exact identifiers, by signal. */
export const MEMORY_KEY_FIELDS = {
  phone: 'receipt_phone',
  tax_id: 'receipt_tax_id',
  registration: 'receipt_reg_no',
} as const;
type KeyKind = keyof typeof MEMORY_KEY_FIELDS;

/** Receipt lines that say who the merchant is, at most this many, are compared in memory. */
const MAX_SIGNATURE_LINES = 8;
/**
 * The bound on Places lookups per receipt resolution: one text search (Text Search Pro, no
 * phones in its answer), then — only when none of its candidates validates and the receipt
 * printed a phone — one phone lookup (Text Search Enterprise), which is what sees the
 * candidates' numbers. Repeat visits are answered by memory or the Places cache, with no call.
 * docs/merchant-resolution.md#places-calls-per-receipt
 */
export const MAX_PLACES_LOOKUPS = 2;
/** Neighbours fetched per exact-key query: enough to see every branch that shares the key. */
const KEY_QUERY_K = 50;

/**
 * Resolves the merchant of a receipt from its lines (top to bottom):
 * (a) vector memory, no Places call: remembered receipts that share an exact identifier (phone,
 *     tax id, company registration number, held as metadata keys) or whose header lines embed
 *     alike. A place found by key is taken when {@link assessRemembered} accepts it: its branch
 *     and most address numbers agree, and its name or phone does; a place found only by similar
 *     lines needs its whole name printed and every address number agreeing;
 * (b) otherwise ONE Places text search built like a person types into Maps (name lines,
 *     address, branch line, phone: {@link buildPlacesQuery}), every candidate validated by
 *     {@link assessCandidate}, never a name-only match; only when no candidate passes and a
 *     phone was read, a phone lookup, whose candidates carry their numbers (the text search's
 *     do not: they are not asked for, to bill at Text Search Pro);
 * (c) otherwise source 'none', with the name, address and phone as printed and confidence 0.
 *
 * A Places failure (a DependencyFailure of `places`) is not thrown: the answer is (c) with
 * `places_error` set, so the caller can store the receipt and retry the merchant later.
 *
 * @example
 * const r = await resolveMerchant({ vectors, embedder, places, clock }, ['BLUE BOTTLE COFFEE', '1 Ferry Bldg', 'TEL 415 555 0100']);
 * if (r.places_error) retryLater(); else r.place_id; // e.g. 'ChIJ…'
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
  const trace: ResolutionTrace = { memory: [], places: [] };
  const signatureVectors = new Map<number, readonly number[]>();
  const thresholds = deps.memoryThresholds ?? memoryThresholdsFor(deps.embedder.model);
  const done = (
    r: Omit<MerchantResolution, 'signals' | 'elapsed_ms' | 'trace' | 'second_call' | 'signature_vectors'>,
    secondCall = false,
  ): MerchantResolution => ({
    ...r,
    second_call: secondCall,
    signature_vectors: signatureVectors,
    signals,
    trace,
    elapsed_ms: deps.clock.now() - started,
  });

  if (options.useMemory !== false) {
    const remembered = await fromMemory(deps, lines, receipt, options, thresholds, trace, signatureVectors);
    if (remembered) {
      return done({
        ...fromAssessment(remembered.assessment, 'vector', ['memory']),
        reason: remembered.reason,
        places_calls: 0,
      });
    }
  }

  let calls = 0;
  let placesError: string | undefined;
  if (options.usePlaces !== false) {
    const allowed = Math.min(options.maxPlacesLookups ?? MAX_PLACES_LOOKUPS, MAX_PLACES_LOOKUPS);
    const attempts = placesAttempts(signals).slice(0, allowed);
    for (const [n, attempt] of attempts.entries()) {
      calls++;
      let candidates: PlaceCandidate[];
      try {
        candidates =
          attempt.kind === 'phone'
            ? await deps.places.findByPhone(attempt.query)
            : await deps.places.searchText(attempt.query);
      } catch (error) {
        if (!(error instanceof DependencyFailure) || error.dependency !== 'places') throw error;
        placesError = error.message;
        break;
      }
      const assessed = candidates.map((c) => assessCandidate(c, receipt));
      trace.places.push({ ...attempt, candidates: assessed.map(verdict) });
      const pick = pickCandidate(candidates, receipt);
      if (pick) {
        return done(
          {
            ...fromAssessment(pick, 'places', []),
            reason: `places ${attempt.kind === 'phone' ? 'phone lookup' : 'text search'}: ${pick.reason}`,
            places_calls: calls,
          },
          n > 0,
        );
      }
    }
  }

  return done(
    {
      merchant_name: signals.nameCandidates[0] ?? null,
      place_id: null,
      address: signals.addressLines.length > 0 ? signals.addressLines.join(', ') : null,
      phone: signals.phones[0] ?? null,
      confidence: 0,
      source: 'none',
      evidence: [],
      reason: placesError
        ? `Places failed (${placesError}); name, address and phone are as printed until a retry resolves it`
        : 'no remembered or Places merchant agreed with the receipt; name, address and phone are as printed',
      places_calls: calls,
      ...(placesError === undefined ? {} : { places_error: placesError }),
    },
    calls > 1,
  );
}

/**
 * The Places lookups for a new merchant, in order; the second is made only when the first
 * returns nothing that passes validation. It is a phone lookup, and only when a phone was read:
 * the text search's candidates come without their numbers, so a candidate that only the phone
 * could confirm (a misread name or street number) is confirmed there. The runner-up name
 * searched again rescued no receipt of the SROIE dev set, and is not tried.
 */
function placesAttempts(signals: MerchantSignals): { kind: 'text' | 'phone'; query: string }[] {
  const attempts: { kind: 'text' | 'phone'; query: string }[] = [];
  const first = buildPlacesQuery(signals);
  if (first) attempts.push({ kind: 'text', query: first });
  const phone = signals.phones[0];
  if (phone) attempts.push({ kind: 'phone', query: phone });
  return attempts.slice(0, MAX_PLACES_LOOKUPS);
}

function verdict(a: CandidateAssessment): CandidateVerdict {
  return {
    place_id: a.candidate.place_id,
    name: a.candidate.name,
    address: a.candidate.formatted_address,
    accepted: a.accepted,
    confidence: a.confidence,
    reason: a.reason,
  };
}

function fromAssessment(a: CandidateAssessment, source: PlaceSource, extraEvidence: string[]) {
  return {
    merchant_name: a.candidate.name,
    place_id: a.candidate.place_id,
    address: a.candidate.formatted_address,
    phone: a.candidate.phone,
    confidence: a.confidence,
    source,
    evidence: [...new Set([...extraEvidence, ...a.evidence])],
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

/** The exact identifiers of a receipt, as memory metadata keys. */
export function memoryKeys(signals: MerchantSignals): { kind: KeyKind; value: string }[] {
  const keys: { kind: KeyKind; value: string }[] = [];
  for (const phone of signals.phones.slice(0, 2)) keys.push({ kind: 'phone', value: phone });
  const tax = signals.taxIds[0];
  if (tax) keys.push({ kind: 'tax_id', value: tax });
  const registration = signals.registrationNos[0];
  if (registration) keys.push({ kind: 'registration', value: registration });
  return keys;
}

interface Remembered {
  candidate: PlaceCandidate;
  via: Set<string>;
  /** Best similarity per signature line. */
  best: Map<number, number>;
  phoneAgrees: boolean;
}

async function fromMemory(
  deps: ResolveMerchantDeps,
  lines: readonly string[],
  receipt: ReceiptEvidence,
  options: ResolveMerchantOptions,
  t: MemoryThresholds,
  trace: ResolutionTrace,
  embedded: Map<number, readonly number[]>,
): Promise<{ assessment: CandidateAssessment; reason: string } | null> {
  const signature = signatureLineIndexes(receipt.signals);
  if (signature.length === 0) return null;
  const vectors = await signatureVectors(deps.embedder, lines, signature, options.lineVectors);
  signature.forEach((line, i) => embedded.set(line, vectors[i]!));
  const keys = memoryKeys(receipt.signals);
  const anchor = vectors[0] ?? [];
  const [byLine, byKey] = await Promise.all([
    Promise.all(vectors.map((vector) => deps.vectors.query('lines', { vector, k: 2 * t.k }))),
    Promise.all(
      keys.map((key) =>
        deps.vectors.query('lines', {
          vector: anchor,
          k: KEY_QUERY_K,
          where: { [MEMORY_KEY_FIELDS[key.kind]]: key.value },
        }),
      ),
    ),
  ]);

  const found = new Map<string, Remembered>();
  const note = (m: VectorMatch): Remembered | null => {
    if (m.metadata.has_place !== true || m.metadata.image_id === options.excludeImageId) return null;
    const candidate = candidateFromMetadata(m);
    if (!candidate) return null;
    const r = found.get(candidate.place_id) ?? {
      candidate,
      via: new Set<string>(),
      best: new Map(),
      phoneAgrees: false,
    };
    found.set(candidate.place_id, r);
    return r;
  };
  byKey.forEach((matches, i) => {
    for (const m of matches) note(m)?.via.add(keys[i]!.kind);
  });
  byLine.forEach((matches, s) => {
    for (const m of matches.filter((x) => x.metadata.has_place === true).slice(0, t.k)) {
      const r = note(m);
      if (!r) continue;
      r.via.add('vector');
      r.best.set(s, Math.max(r.best.get(s) ?? -1, m.score));
      const storedPhone = typeof m.metadata.receipt_phone === 'string' ? m.metadata.receipt_phone : null;
      if (
        m.score >= t.phoneMinSimilarity &&
        receipt.signals.phones.some((p) => phonesMatch(p, storedPhone) || phonesMatch(p, r.candidate.phone))
      ) {
        r.phoneAgrees = true;
      }
    }
  });

  const judged = [...found.values()].map((r) => {
    const strong = [...r.best.values()].filter((s) => s >= t.strongSimilarity);
    const mean = strong.length > 0 ? strong.reduce((a, b) => a + b, 0) / strong.length : 0;
    const keyKinds = [...r.via].filter((v) => v !== 'vector');
    if (r.phoneAgrees && !keyKinds.includes('phone')) keyKinds.push('phone');
    return {
      r,
      strong: strong.length,
      mean,
      keyKinds,
      best: Math.max(0, ...r.best.values()),
      assessment: assessRemembered(r.candidate, receipt, keyKinds),
    };
  });
  judged.sort((a, b) => b.keyKinds.length - a.keyKinds.length || b.strong - a.strong || b.mean - a.mean);

  let answer: { assessment: CandidateAssessment; reason: string } | null = null;
  for (const j of judged) {
    const neighbour: MemoryNeighbour = {
      ...verdict(j.assessment),
      via: [...new Set([...j.r.via, ...(j.r.phoneAgrees ? ['phone'] : [])])],
      best_similarity: round(j.best),
      strong_lines: j.strong,
    };
    trace.memory.push(neighbour);
    if (!answer && j.keyKinds.length > 0 && j.assessment.accepted) {
      answer = {
        assessment: j.assessment,
        reason: `vector memory: a remembered receipt of this place shares its ${j.keyKinds.join(' and ')} (${j.assessment.reason})`,
      };
    }
  }
  if (answer) return answer;

  // No identifier in common: similar header lines alone, held to the strictest rule.
  const byVotes = judged.filter((j) => j.strong > 0).sort((a, b) => b.strong - a.strong || b.mean - a.mean);
  const best = byVotes[0];
  const runnerUp = byVotes[1];
  if (!best || best.strong < t.minStrongLines) return null;
  // Two places equally supported means the memory cannot tell them apart (a chain's branches).
  if (runnerUp && runnerUp.strong >= best.strong) return null;
  const a = assessCandidate(best.r.candidate, receipt);
  const phoneConflict = receipt.signals.phones.length > 0 && best.r.candidate.phone !== null && !a.phoneMatch;
  if (!a.nameShared || a.addressConflict || phoneConflict) return null;
  // Without a key, memory only answers for the exact place: the whole name printed and every
  // address number agreeing. Near-duplicates ("ACME (M) SDN BHD" vs "ACME SDN BHD") and branches
  // sharing a head-office address are left to Places, which sees all of them.
  if (
    !nameLineMatches(best.r.candidate.name, receipt.signals.nameCandidates) ||
    !addressNumbersAgree(receipt, best.r.candidate.formatted_address)
  ) {
    return null;
  }
  const confidence = Math.min(0.95, 0.6 + 0.35 * best.mean);
  return {
    assessment: { ...a, accepted: true, confidence, evidence: [...new Set(['name', ...a.evidence])] },
    reason: `vector memory: ${best.strong} signature lines match remembered receipts of this place (mean ${best.mean.toFixed(3)})`,
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

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
