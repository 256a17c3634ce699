import type { PlaceCandidate } from '../domain/index.js';
import { addressTokens, dice, nameTokens, phonesMatch, tokenize, tokensAgree, trigrams } from './normalize.js';
import type { MerchantSignals } from './signals.js';

/** Address token overlap (numbers weigh double) at or above this is an address match. */
export const ADDRESS_MATCH_THRESHOLD = 0.5;
/** A weaker address agreement that only counts together with a very similar name. */
export const ADDRESS_PARTIAL_THRESHOLD = 0.3;
/**
 * Name similarity this high may stand in for a full address match, but never alone: a 0.79
 * name-only match once picked the wrong merchant (lesson 21), and so would a 0.99 one for a chain.
 */
export const NAME_HIGH_THRESHOLD = 0.9;

/** The receipt side of a comparison: its signals and its full text. */
export interface ReceiptEvidence {
  signals: MerchantSignals;
  /** Every line of the receipt, top to bottom. */
  lines: readonly string[];
}

export interface CandidateAssessment {
  candidate: PlaceCandidate;
  accepted: boolean;
  /** 0..1, meaningful when accepted. */
  confidence: number;
  /** For ranking accepted candidates: address first (chains), then phone, then name. */
  rank: number;
  /** Signals that agreed: 'phone', 'address', 'name'. */
  evidence: string[];
  phoneMatch: boolean;
  addressScore: number;
  /** Postcodes or street numbers that disagree outright (another branch). */
  addressConflict: boolean;
  nameScore: number;
  /** The candidate's name shares a distinctive token with the receipt text. */
  nameShared: boolean;
  reason: string;
}

/**
 * Address agreement: weighted overlap of the two token sets (numbers weigh 2, they are the
 * distinctive part), relative to the smaller side. Receipts often print a partial address.
 */
export function addressSimilarity(receiptAddress: readonly string[], candidateAddress: string | null): { score: number; conflict: boolean } {
  if (!candidateAddress || receiptAddress.length === 0) return { score: 0, conflict: false };
  const ours = new Set(addressTokens(receiptAddress.join(' ')));
  const theirs = new Set(addressTokens(candidateAddress));
  if (ours.size === 0 || theirs.size === 0) return { score: 0, conflict: false };
  const weight = (t: string) => (/\d/.test(t) ? 2 : 1);
  const total = (s: Set<string>) => [...s].reduce((sum, t) => sum + weight(t), 0);
  let shared = 0;
  let sharedCount = 0;
  for (const t of theirs) {
    if (ours.has(t) || (!/\d/.test(t) && [...ours].some((o) => tokensAgree(o, t)))) {
      shared += weight(t);
      sharedCount++;
    }
  }
  const score = sharedCount >= 2 ? shared / Math.min(total(ours), total(theirs)) : 0;
  return { score: Math.min(1, score), conflict: numbersConflict(ours, theirs) };
}

/**
 * Another branch of a chain shares city, state and street words, but not the postcode or the
 * street number. Disagreeing on either, with both sides printing one, rules the address out.
 */
function numbersConflict(ours: Set<string>, theirs: Set<string>): boolean {
  const postcode = (s: Set<string>) => [...s].filter((t) => /^\d{5}$/.test(t));
  const street = (s: Set<string>) => [...s].filter((t) => /^\d{1,4}[A-Z]?$/.test(t));
  const disagree = (a: string[], b: string[]) => a.length > 0 && b.length > 0 && !a.some((x) => b.includes(x));
  return disagree(postcode(ours), postcode(theirs)) || disagree(street(ours), street(theirs));
}

/** Best similarity of the candidate's name to any name candidate of the receipt (0..1). */
export function nameSimilarity(candidateName: string, receiptNames: readonly string[]): number {
  const theirs = nameTokens(candidateName);
  let best = 0;
  for (const name of receiptNames) {
    const ours = nameTokens(name);
    const gramScore = dice(trigrams(ours.join(' ')), trigrams(theirs.join(' ')));
    let matched = 0;
    for (const t of theirs) if (ours.some((o) => tokensAgree(o, t))) matched++;
    const tokenScore = theirs.length + ours.length > 0 ? (2 * matched) / (theirs.length + ours.length) : 0;
    best = Math.max(best, gramScore, tokenScore);
  }
  return best;
}

/** True when a distinctive token of the name appears anywhere in the receipt's text. */
export function nameSharesToken(candidateName: string, lines: readonly string[]): boolean {
  const theirs = nameTokens(candidateName);
  if (theirs.length === 0) return false;
  const ours = new Set(lines.flatMap((l) => tokenize(l)));
  return theirs.some((t) => ours.has(t) || [...ours].some((o) => tokensAgree(o, t)));
}

/**
 * Decides whether a Places candidate is this receipt's merchant. Accepted when:
 * 1. phone and address agree (0.97);
 * 2. phone agrees and the name shares a distinctive token with the receipt (0.93);
 * 3. address agrees (overlap ≥ {@link ADDRESS_MATCH_THRESHOLD}) and the name shares a token (0.85);
 * 4. the name is very similar (≥ {@link NAME_HIGH_THRESHOLD}) and the address partly agrees
 *    (≥ {@link ADDRESS_PARTIAL_THRESHOLD}) (0.8).
 * A postcode or street number that disagrees rules the address out (chain branches). A name
 * alone, however similar, is never enough; neither is a phone whose name shares nothing.
 */
export function assessCandidate(candidate: PlaceCandidate, receipt: ReceiptEvidence): CandidateAssessment {
  const { signals, lines } = receipt;
  const phoneMatch = signals.phones.some((p) => phonesMatch(p, candidate.phone));
  const { score: addressScore, conflict: addressConflict } = addressSimilarity(signals.addressLines, candidate.formatted_address);
  const addressOk = !addressConflict && addressScore >= ADDRESS_MATCH_THRESHOLD;
  const addressPartial = !addressConflict && addressScore >= ADDRESS_PARTIAL_THRESHOLD;
  const nameScore = nameSimilarity(candidate.name, signals.nameCandidates);
  const nameShared = nameSharesToken(candidate.name, lines);

  let confidence = 0;
  let reason: string;
  if (phoneMatch && addressOk) {
    confidence = 0.97;
    reason = 'phone and address agree';
  } else if (phoneMatch && nameShared) {
    confidence = 0.93;
    reason = 'phone agrees and the name appears on the receipt';
  } else if (addressOk && nameShared) {
    confidence = 0.85;
    reason = 'address agrees and the name appears on the receipt';
  } else if (nameScore >= NAME_HIGH_THRESHOLD && addressPartial) {
    confidence = 0.8;
    reason = 'name very similar and address partly agrees';
  } else if (phoneMatch) {
    reason = 'phone agrees but neither name nor address does';
  } else if (addressConflict) {
    reason = 'address names another postcode or street number (another branch?)';
  } else {
    reason = `not enough agreement (name ${nameScore.toFixed(2)}, address ${addressScore.toFixed(2)}, no phone)`;
  }
  const evidence: string[] = [];
  if (phoneMatch) evidence.push('phone');
  if (addressOk || (confidence === 0.8 && addressPartial)) evidence.push('address');
  if (nameShared || nameScore >= NAME_HIGH_THRESHOLD) evidence.push('name');
  return {
    candidate,
    accepted: confidence > 0,
    confidence,
    rank: (addressConflict ? 0 : addressScore) * 2 + (phoneMatch ? 1.5 : 0) + nameScore,
    evidence: confidence > 0 ? evidence : [],
    phoneMatch,
    addressScore,
    addressConflict,
    nameScore,
    nameShared,
    reason,
  };
}

/** The accepted candidate that fits best (the branch whose address matches, for chains), or null. */
export function pickCandidate(candidates: readonly PlaceCandidate[], receipt: ReceiptEvidence): CandidateAssessment | null {
  const accepted = candidates.map((c) => assessCandidate(c, receipt)).filter((a) => a.accepted);
  accepted.sort((a, b) => b.confidence - a.confidence || b.rank - a.rank);
  return accepted[0] ?? null;
}
