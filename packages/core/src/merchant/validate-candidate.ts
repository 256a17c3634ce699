import type { PlaceCandidate } from '../domain/index.js';
import {
  addressTokens,
  dice,
  editDistance,
  nameTokens,
  phonesMatch,
  tokenize,
  tokensAgree,
  trigrams,
} from './normalize.js';
import { nameBlocks } from './places-query.js';
import { merchantZoneLines, type MerchantSignals } from './signals.js';
import {
  ADDRESS_MATCH_THRESHOLD,
  ADDRESS_PARTIAL_THRESHOLD,
  MEMORY_KEY_ADDRESS_NUMBERS,
  MEMORY_TWO_KEYS_ADDRESS_NUMBERS,
  MIN_COVERAGE_TOKENS,
  NAME_HIGH_THRESHOLD,
  NAME_MISREAD_THRESHOLD,
} from './thresholds.js';

/**
 * A pure function of a text, remembering its answers for the last texts seen. Why: the receipt's
 * side of every check below is the same for each candidate of one receipt, and resolve-merchant
 * assesses every remembered place (pickCandidate every Places candidate) against that receipt,
 * so the receipt's tokens were worked out again per candidate (issue 18, P8: CPU on serve's main
 * thread beside OCR). Answers are shared: callers only read them (sets and frozen arrays).
 */
function rememberByText<R>(fn: (text: string) => R): (text: string) => R {
  const answers = new Map<string, R>();
  return (text) => {
    let answer = answers.get(text);
    if (answer === undefined) {
      if (answers.size >= REMEMBERED_TEXTS) answers.clear();
      answer = fn(text);
      answers.set(text, answer);
    }
    return answer;
  };
}
/** Texts each {@link rememberByText} keeps: a receipt's few (lines, zone, names), with room. */
const REMEMBERED_TEXTS = 64;

/** The receipt's address tokens, as {@link addressTokens} gives them. */
const receiptAddressTokens = rememberByText((text): readonly string[] => Object.freeze(addressTokens(text)));
/** The same as a set. */
const receiptAddressSet = rememberByText((text): ReadonlySet<string> => new Set(receiptAddressTokens(text)));
/** Every token of a list of lines (JSON of the list), each line tokenised on its own. */
const receiptLineTokens = rememberByText((json): { set: ReadonlySet<string>; list: readonly string[] } => {
  const set = new Set((JSON.parse(json) as string[]).flatMap((l) => tokenize(l)));
  return { set, list: Object.freeze([...set]) };
});
/** A receipt name's {@link nameTokens} and the trigrams of their join. */
const receiptNameGrams = rememberByText((name): { tokens: readonly string[]; grams: ReadonlySet<string> } => {
  const tokens = nameTokens(name);
  return { tokens: Object.freeze(tokens), grams: trigrams(tokens.join(' ')) };
});

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

const numberWeight = (t: string) => (/\d/.test(t) ? 2 : 1);
const weightOf = (tokens: Iterable<string>) => [...tokens].reduce((sum, t) => sum + numberWeight(t), 0);

/**
 * One address token found among the receipt's: exactly, or (words only) within an OCR slip.
 * Numbers must match exactly here; near-miss numbers are judged by {@link numbersConflict}.
 */
function hasAddressToken(ours: ReadonlySet<string>, token: string): boolean {
  return ours.has(token) || (!/\d/.test(token) && [...ours].some((o) => !/\d/.test(o) && tokensAgree(o, token)));
}

/**
 * Address agreement: weighted overlap of the two token sets (numbers weigh 2, they are the
 * distinctive part), relative to the smaller side. Receipts often print a partial address.
 */
export function addressSimilarity(
  receiptAddress: readonly string[],
  candidateAddress: string | null,
): { score: number; conflict: boolean; nearConflict: boolean } {
  const nothing = { score: 0, conflict: false, nearConflict: false };
  if (!candidateAddress || receiptAddress.length === 0) return nothing;
  const ours = receiptAddressSet(receiptAddress.join(' '));
  const theirs = new Set(addressTokens(candidateAddress));
  if (ours.size === 0 || theirs.size === 0) return nothing;
  let shared = 0;
  let sharedCount = 0;
  for (const t of theirs) {
    if (hasAddressToken(ours, t)) {
      shared += numberWeight(t);
      sharedCount++;
    }
  }
  const score = sharedCount >= 2 ? shared / Math.min(weightOf(ours), weightOf(theirs)) : 0;
  const conflict = numbersConflict(ours, theirs);
  // A near miss still rules the address out on its own; only a phone may overrule it.
  return { score: Math.min(1, score), conflict: conflict !== 'none', nearConflict: conflict === 'near' };
}

/**
 * How much of the candidate's address (weighted as in {@link addressSimilarity}) is printed
 * anywhere in the given receipt lines (its header and footer). Catches addresses whose lines the
 * signal extractor did not recognise ("109, SS21/1A" has no street word). Needs at least
 * {@link MIN_COVERAGE_TOKENS} shared tokens, one of them a number, else 0.
 */
export function addressCoverage(receiptLines: readonly string[], candidateAddress: string | null): number {
  return addressCoverageDetail(receiptLines, candidateAddress).score;
}

/** {@link addressCoverage} with the weight of the shared tokens (how specific the match is). */
function addressCoverageDetail(
  receiptLines: readonly string[],
  candidateAddress: string | null,
): { score: number; sharedWeight: number } {
  if (!candidateAddress || receiptLines.length === 0) return { score: 0, sharedWeight: 0 };
  const ours = receiptAddressSet(receiptLines.join(' '));
  const theirs = new Set(addressTokens(candidateAddress));
  if (theirs.size === 0) return { score: 0, sharedWeight: 0 };
  let shared = 0;
  let sharedCount = 0;
  let sharedNumber = false;
  for (const t of theirs) {
    if (!hasAddressToken(ours, t)) continue;
    shared += numberWeight(t);
    sharedCount++;
    if (/\d/.test(t)) sharedNumber = true;
  }
  const score = sharedCount >= MIN_COVERAGE_TOKENS && sharedNumber ? shared / weightOf(theirs) : 0;
  return { score, sharedWeight: score > 0 ? shared : 0 };
}

/** Two numbers that differ by one substituted character: an OCR misread as likely as another place. */
function nearNumber(a: string, b: string): boolean {
  return a.length === b.length && editDistance(a, b, 1) <= 1;
}

/**
 * Another branch of a chain shares city, state and street words, but not the postcode or the
 * street number. 'hard' when both sides print one and none agree or nearly agree; 'near' when they
 * disagree only by one misread character each (e.g. 45400 for 45600), which other evidence such
 * as a phone may overrule; 'none' otherwise.
 */
export function numbersConflict(ours: ReadonlySet<string>, theirs: ReadonlySet<string>): 'none' | 'near' | 'hard' {
  const postcode = (s: ReadonlySet<string>) => [...s].filter((t) => /^\d{5}$/.test(t));
  const street = (s: ReadonlySet<string>) => [...s].filter((t) => /^\d{1,4}[A-Z]?$/.test(t));
  let result: 'none' | 'near' | 'hard' = 'none';
  for (const pick of [postcode, street]) {
    const a = pick(ours);
    const b = pick(theirs);
    if (a.length === 0 || b.length === 0 || a.some((x) => b.includes(x))) continue;
    if (!a.some((x) => b.some((y) => nearNumber(x, y)))) return 'hard';
    result = 'near';
  }
  return result;
}

/** Best similarity of the candidate's name to any name candidate of the receipt (0..1). */
export function nameSimilarity(candidateName: string, receiptNames: readonly string[]): number {
  const theirs = nameTokens(candidateName);
  const theirGrams = trigrams(theirs.join(' '));
  let best = 0;
  for (const name of receiptNames) {
    const { tokens: ours, grams } = receiptNameGrams(name);
    const gramScore = dice(grams, theirGrams);
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
  const ours = receiptLineTokens(JSON.stringify(lines));
  return theirs.some((t) => ours.set.has(t) || ours.list.some((o) => tokensAgree(o, t)));
}

/** The candidate's name printed verbatim (case and spacing aside): breaks ties between near-duplicates. */
function nameVerbatim(candidateName: string, lines: readonly string[]): boolean {
  const squash = (t: string) => t.toUpperCase().replace(/\s+/g, '');
  const name = squash(candidateName);
  return name.length > 0 && lines.some((l) => squash(l).includes(name));
}

/**
 * Decides whether a Places candidate is this receipt's merchant. Accepted when:
 * 1. phone and address agree (0.97);
 * 2. phone agrees and the name shares a distinctive token with the receipt (0.93);
 * 3. phone agrees and the address agrees but for one misread postcode or street-number
 *    character (0.9): the phone vouches for the place, the near miss is OCR;
 * 4. address agrees (overlap ≥ {@link ADDRESS_MATCH_THRESHOLD}, from the address lines or as
 *    coverage of the candidate's address by the receipt's header and footer) and the name shares
 *    a token (0.85);
 * 5. the name is very similar (≥ {@link NAME_HIGH_THRESHOLD}) and the address partly agrees
 *    (≥ {@link ADDRESS_PARTIAL_THRESHOLD}) (0.8).
 * A postcode or street number that disagrees rules the address out (chain branches). A name
 * alone, however similar, is never enough; neither is a phone whose name shares nothing.
 */
export function assessCandidate(candidate: PlaceCandidate, receipt: ReceiptEvidence): CandidateAssessment {
  const { signals, lines } = receipt;
  const phoneMatch = signals.phones.some((p) => phonesMatch(p, candidate.phone));
  const byLines = addressSimilarity(signals.addressLines, candidate.formatted_address);
  const zone = merchantZoneLines(lines);
  const { score: coverage, sharedWeight } = addressCoverageDetail(zone, candidate.formatted_address);
  const zonePostcodeConflict = postcodesConflict(zone, candidate.formatted_address);
  const otherBranch = branchConflict(receipt, candidate.formatted_address);
  const addressConflict = byLines.conflict || zonePostcodeConflict || otherBranch;
  const addressScore = Math.max(byLines.score, coverage);
  const addressOk = !addressConflict && addressScore >= ADDRESS_MATCH_THRESHOLD;
  const addressPartial = !addressConflict && addressScore >= ADDRESS_PARTIAL_THRESHOLD;
  const addressNearlyOk =
    byLines.nearConflict && !zonePostcodeConflict && !otherBranch && byLines.score >= ADDRESS_MATCH_THRESHOLD;
  const nameScore = nameSimilarity(candidate.name, [
    ...signals.nameCandidates,
    ...nameBlocks(signals)
      .filter((b) => b.lines.length > 1)
      .map((b) => b.text),
  ]);
  const nameShared = nameSharesToken(candidate.name, lines);
  const misread = misreadPostcodeOnly(receipt, candidate.formatted_address);

  // The acceptance bands of the TSDoc above, strongest first; the first that holds decides.
  // `address` marks the bands whose acceptance rests on the address (nearly) agreeing.
  const misreadPostcode = (digits: number, nameThreshold: number): boolean =>
    !otherBranch &&
    misread.distance === digits &&
    misread.addressScore >= ADDRESS_MATCH_THRESHOLD &&
    nameScore >= nameThreshold;
  const bands: ReadonlyArray<{ holds: boolean; confidence: number; address?: true; reason: string }> = [
    { holds: phoneMatch && addressOk, confidence: 0.97, reason: 'phone and address agree' },
    { holds: phoneMatch && nameShared, confidence: 0.93, reason: 'phone agrees and the name appears on the receipt' },
    {
      holds: phoneMatch && addressNearlyOk,
      confidence: 0.9,
      address: true,
      reason: 'phone agrees and the address agrees but for one misread number',
    },
    { holds: addressOk && nameShared, confidence: 0.85, reason: 'address agrees and the name appears on the receipt' },
    {
      holds: misreadPostcode(1, NAME_MISREAD_THRESHOLD),
      confidence: 0.82,
      address: true,
      reason: 'address agrees but for one misread postcode digit, and the name is similar',
    },
    {
      holds: misreadPostcode(2, NAME_HIGH_THRESHOLD),
      confidence: 0.8,
      address: true,
      reason: 'address agrees but for two misread postcode digits, and the name is very similar',
    },
    {
      holds: nameScore >= NAME_HIGH_THRESHOLD && addressPartial,
      confidence: 0.8,
      address: true,
      reason: 'name very similar and address partly agrees',
    },
  ];
  const band = bands.find((b) => b.holds);
  const confidence = band?.confidence ?? 0;
  let reason: string;
  if (band) {
    reason = band.reason;
  } else if (otherBranch) {
    reason = "another branch: the outlet number printed on the receipt and the place's disagree";
  } else if (phoneMatch) {
    reason = 'phone agrees but neither name nor address does';
  } else if (addressConflict) {
    reason = 'address names another postcode or street number (another branch?)';
  } else {
    reason = `not enough agreement (name ${nameScore.toFixed(2)}, address ${addressScore.toFixed(2)}, no phone)`;
  }
  const evidence: string[] = [];
  if (phoneMatch) evidence.push('phone');
  if (addressOk || band?.address) evidence.push('address');
  if (nameShared || nameScore >= NAME_HIGH_THRESHOLD) evidence.push('name');
  // Tie-breakers between near-duplicates (a chain's HQ address and the same address plus a branch
  // line): the name printed verbatim, then the address that explains more of the receipt.
  const verbatim = nameVerbatim(candidate.name, lines) ? 0.05 : 0;
  const specificity = addressConflict ? 0 : 0.01 * sharedWeight;
  return {
    candidate,
    accepted: confidence > 0,
    confidence,
    rank: (addressConflict ? 0 : addressScore) * 2 + (phoneMatch ? 1.5 : 0) + nameScore + verbatim + specificity,
    evidence: confidence > 0 ? evidence : [],
    phoneMatch,
    addressScore,
    addressConflict,
    nameScore,
    nameShared,
    reason,
  };
}

/**
 * Postcodes printed in the lines as postcodes are printed: five digits before a place name
 * ("47100 PUCHONG") or after a state code ("CA 94607"); bare five-digit numbers are often item
 * codes or bill numbers.
 */
const PRINTED_POSTCODE = /(?:\b(\d{5})\s*,?\s+[A-Za-z]{3,})|(?:\b[A-Z]{2}\s+(\d{5})\b)/g;

/** Postcodes printed in the receipt's lines, none of which is (or nearly is) the candidate's. */
function postcodesConflict(lines: readonly string[], candidateAddress: string | null): boolean {
  if (!candidateAddress) return false;
  const printed = new Set(
    lines.flatMap((l) => [...l.matchAll(PRINTED_POSTCODE)].map((m) => m[1] ?? m[2] ?? '')).filter((p) => p !== ''),
  );
  const theirs = new Set(addressTokens(candidateAddress).filter((t) => /^\d{5}$/.test(t)));
  return numbersConflict(printed, theirs) === 'hard';
}

/** A company registration number in brackets after a name: "(519537-X)", "{169603-A)". */
const REGISTRATION_IN_NAME = /[({[]\s*\d[\d\s-]*[A-Z]?\s*[)}\]]/gi;

/**
 * True when one of the receipt's name lines is the candidate's whole name: every token of each
 * (single letters too, so "(M)" counts) agrees with one of the other's, allowing OCR slips;
 * a bracketed registration number is ignored. Separates "ACME (M) SDN BHD" from "ACME SDN BHD".
 */
export function nameLineMatches(candidateName: string, receiptNames: readonly string[]): boolean {
  const theirs = tokenize(candidateName);
  if (theirs.length === 0) return false;
  return receiptNames.some((line) => {
    const ours = tokenize(line.replace(REGISTRATION_IN_NAME, ' '));
    const covered = (a: string[], b: string[]) => a.every((t) => b.some((o) => tokensAgree(o, t)));
    return ours.length > 0 && covered(theirs, ours) && covered(ours, theirs);
  });
}

/**
 * Every number of the candidate's address is printed in the receipt's header or footer, and
 * every number of the receipt's address lines is in the candidate's address (a misread digit
 * aside). Stricter than {@link numbersConflict}: a chain's branches often share a head-office
 * address and differ only in a branch number.
 */
export function addressNumbersAgree(receipt: ReceiptEvidence, candidateAddress: string | null): boolean {
  if (!candidateAddress) return false;
  const numbers = (text: string) => addressTokens(text).filter((t) => /\d/.test(t));
  const theirs = numbers(candidateAddress);
  const zone = numbers(merchantZoneLines(receipt.lines).join(' '));
  const ours = numbers(receipt.signals.addressLines.join(' '));
  const near = (a: string, b: string) => a === b || nearNumber(a, b);
  return theirs.every((t) => zone.some((z) => near(z, t))) && ours.every((o) => theirs.some((t) => near(o, t)));
}

/** The accepted candidate that fits best (the branch whose address matches, for chains), or null. */
export function pickCandidate(
  candidates: readonly PlaceCandidate[],
  receipt: ReceiptEvidence,
): CandidateAssessment | null {
  const accepted = candidates.map((c) => assessCandidate(c, receipt)).filter((a) => a.accepted);
  accepted.sort((a, b) => b.confidence - a.confidence || b.rank - a.rank);
  return accepted[0] ?? null;
}

/** The outlet line at the end of a chain shop's address, after its postcode: "41150 KLANG, SELANGOR 1214-JINJANG UTARA". */
const CANDIDATE_BRANCH = /\b\d{5}\b.*?[\s,](\d{3,4})\s*-?\s*[A-Z]{2,}[^,\d]*$/i;

/** The outlet number at the end of a place's address, or null. */
export function candidateBranchNumber(address: string | null): string | null {
  return address ? (CANDIDATE_BRANCH.exec(address)?.[1] ?? null) : null;
}

/**
 * A chain's shops often print one head-office address and differ only by their outlet line.
 * The branch is another one when the receipt prints an outlet number the place lacks, or the
 * place has an outlet number the receipt does not print (a misread digit allowed either way).
 */
export function branchConflict(receipt: ReceiptEvidence, candidateAddress: string | null): boolean {
  if (!candidateAddress) return false;
  const near = (a: string, b: string) => a === b || nearNumber(a, b);
  const theirs = addressTokens(candidateAddress).filter((t) => /^\d+$/.test(t));
  const ours = receipt.signals.branchNumber;
  if (ours && !theirs.some((t) => near(t, ours))) return true;
  const theirBranch = candidateBranchNumber(candidateAddress);
  if (!theirBranch) return false;
  const zone = receiptAddressTokens(merchantZoneLines(receipt.lines).join(' '));
  return !zone.some((z) => near(z, theirBranch));
}

/** Share of the place's address numbers printed in the receipt's header or footer (a misread digit allowed). */
export function addressNumberShare(
  receipt: ReceiptEvidence,
  candidateAddress: string | null,
): { share: number; total: number } {
  if (!candidateAddress) return { share: 0, total: 0 };
  const numbers = (tokens: readonly string[]) => tokens.filter((t) => /\d/.test(t));
  const theirs = [...new Set(numbers(addressTokens(candidateAddress)))];
  if (theirs.length === 0) return { share: 0, total: 0 };
  const zone = numbers(receiptAddressTokens(merchantZoneLines(receipt.lines).join(' ')));
  const found = theirs.filter((t) => zone.some((z) => z === t || nearNumber(z, t))).length;
  return { share: found / theirs.length, total: theirs.length };
}

/**
 * Decides whether a place remembered from an earlier receipt is this receipt's merchant, given
 * the exact keys the two receipts share ('phone', 'tax_id', 'registration'). Keys name the
 * company; the branch must still agree:
 * - never when the outlet numbers disagree ({@link branchConflict}), whatever the keys;
 * - at least {@link MEMORY_KEY_ADDRESS_NUMBERS} of the place's address numbers are printed,
 *   so a company's shop elsewhere, which prints the same tax id, is not taken;
 * - and the name shares a distinctive token with the receipt, or the phone agrees with the
 *   place's own phone. A phone key alone needs the name too: an OCR-garbled phone can equal
 *   another merchant's number.
 */
export function assessRemembered(
  candidate: PlaceCandidate,
  receipt: ReceiptEvidence,
  keyKinds: readonly string[],
): CandidateAssessment {
  const base = assessCandidate(candidate, receipt);
  const refuse = (reason: string): CandidateAssessment => ({
    ...base,
    accepted: false,
    confidence: 0,
    evidence: [],
    reason,
  });
  if (keyKinds.length === 0) return refuse('no identifier in common');
  if (branchConflict(receipt, candidate.formatted_address)) return refuse('another branch: outlet numbers disagree');
  const { share, total } = addressNumberShare(receipt, candidate.formatted_address);
  const bothIds = keyKinds.includes('tax_id') && keyKinds.includes('registration');
  const numbersOk =
    total === 0
      ? base.addressScore >= ADDRESS_PARTIAL_THRESHOLD
      : share >= MEMORY_KEY_ADDRESS_NUMBERS ||
        (bothIds && share >= MEMORY_TWO_KEYS_ADDRESS_NUMBERS && share * total >= 2);
  if (!numbersOk) return refuse(`address numbers do not agree (${Math.round(share * 100)}% of ${total} printed)`);
  const identity = keyKinds.includes('tax_id') || keyKinds.includes('registration');
  if (!base.nameShared && !(identity && base.phoneMatch)) return refuse('the name does not appear on the receipt');
  const confidence = identity && keyKinds.includes('phone') ? 0.97 : identity ? 0.94 : 0.9;
  const evidence = [...new Set([...keyKinds, 'address', 'name', ...(base.phoneMatch ? ['phone'] : [])])];
  return {
    ...base,
    accepted: true,
    confidence,
    evidence,
    reason: `${keyKinds.join(', ')} in common, ${Math.round(share * 100)}% of address numbers printed, name on the receipt`,
  };
}

/**
 * When the only disagreement between the receipt's address and the place's is the postcode, how
 * many digits apart the closest pair is (1 or 2: OCR misreads such as 41750 for 81750), and the
 * address agreement with postcodes left out. Street numbers must not disagree at all.
 */
export function misreadPostcodeOnly(
  receipt: ReceiptEvidence,
  candidateAddress: string | null,
): { distance: number; addressScore: number } {
  const none = { distance: Infinity, addressScore: 0 };
  if (!candidateAddress) return none;
  const isPostcode = (t: string) => /^\d{5}$/.test(t);
  const zone = merchantZoneLines(receipt.lines);
  const ours = receiptAddressSet([...receipt.signals.addressLines, ...zone].join(' '));
  const theirs = new Set(addressTokens(candidateAddress));
  const ourCodes = [...ours].filter(isPostcode);
  const theirCodes = [...theirs].filter(isPostcode);
  if (ourCodes.length === 0 || theirCodes.length === 0 || ourCodes.some((c) => theirs.has(c))) return none;
  const withoutCodes = (s: ReadonlySet<string>) => new Set([...s].filter((t) => !isPostcode(t)));
  if (numbersConflict(withoutCodes(ours), withoutCodes(theirs)) !== 'none') return none;
  const distance = Math.min(...ourCodes.flatMap((a) => theirCodes.map((b) => editDistance(a, b, 2))));
  if (distance > 2) return none;
  const lines = receipt.signals.addressLines.length > 0 ? receipt.signals.addressLines : zone;
  const strip = (text: string) => text.replace(/\b\d{5}\b/g, ' ');
  const byLines = addressSimilarity(lines.map(strip), strip(candidateAddress)).score;
  const coverage = addressCoverage(zone.map(strip), strip(candidateAddress));
  return { distance, addressScore: Math.max(byLines, coverage) };
}
