import { MIN_PHONE_DIGITS, PHONE_SUFFIX_DIGITS } from './thresholds.js';

export { MIN_PHONE_DIGITS };

/**
 * Normalisers shared by signal extraction, candidate validation and the Places cache: phone
 * numbers to digits, addresses and names to token sets, so that formatting never decides a match.
 */

/** Digits only, with the country code folded away for +1 (NANP) and +60 (Malaysia). */
export function normalizePhone(text: string): string {
  let digits = text.replace(/\D/g, '');
  if (digits.startsWith('00')) digits = digits.slice(2);
  if (digits.length === 11 && digits.startsWith('1')) return digits.slice(1);
  // 11+ digits: a 10-digit US number may start with 60 too (area code 608).
  if (digits.startsWith('60') && digits.length >= 11) return `0${digits.slice(2)}`;
  return digits;
}

/** True when two phone numbers are the same line, whatever their formatting. */
export function phonesMatch(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const x = normalizePhone(a);
  const y = normalizePhone(b);
  if (x.length < MIN_PHONE_DIGITS || y.length < MIN_PHONE_DIGITS) return false;
  const n = Math.min(PHONE_SUFFIX_DIGITS, x.length, y.length);
  return x.slice(-n) === y.slice(-n);
}

/** Dotted initials such as "D.I.Y." or "P. T." (two or more single letters, each with a dot). */
const DOTTED_INITIALS = /\b(?:[A-Z]\.\s?){2,}/gi;

/**
 * Upper-case alphanumeric tokens; apostrophes vanish ("JOE'S" → "JOES") and dotted initials
 * join ("D.I.Y." → "DIY"), so an abbreviated name is one distinctive token, not three letters.
 */
export function tokenize(text: string): string[] {
  return text
    .toUpperCase()
    .replace(/['’`]/g, '')
    .replace(DOTTED_INITIALS, (m) => `${m.replace(/[.\s]/g, '')} `)
    .split(/[^A-Z0-9]+/)
    .filter((t) => t.length > 0);
}

/** Street-word spellings folded to one form, so "ST" on the receipt meets "STREET" in Places. */
const ADDRESS_SYNONYMS: Readonly<Record<string, string>> = {
  ST: 'STREET',
  STR: 'STREET',
  AVE: 'AVENUE',
  AV: 'AVENUE',
  RD: 'ROAD',
  BLVD: 'BOULEVARD',
  DR: 'DRIVE',
  LN: 'LANE',
  HWY: 'HIGHWAY',
  STE: 'SUITE',
  JLN: 'JALAN',
  JL: 'JALAN',
  TMN: 'TAMAN',
  LRG: 'LORONG',
  KG: 'KAMPUNG',
  KPG: 'KAMPUNG',
  BDR: 'BANDAR',
  PSN: 'PERSIARAN',
  WP: 'WILAYAH',
  KL: 'KUALA LUMPUR',
};

/** Address words too common to tell two addresses apart. */
const ADDRESS_NOISE = new Set(['NO', 'USA', 'US', 'UNITED', 'STATES', 'MALAYSIA', 'THE', 'OF', 'AND', 'LOT', 'UNIT']);

/** Address tokens with street words folded and country/filler words dropped. */
export function addressTokens(text: string): string[] {
  const out: string[] = [];
  for (const raw of tokenize(text)) {
    const folded = ADDRESS_SYNONYMS[raw] ?? raw;
    for (const t of folded.split(' ')) if (!ADDRESS_NOISE.has(t)) out.push(t);
  }
  return out;
}

/** Words that say what kind of business, not which one: never enough to identify a merchant. */
export const GENERIC_NAME_WORDS = new Set([
  'THE',
  'AND',
  'OF',
  'SDN',
  'BHD',
  'BERHAD',
  'LLC',
  'INC',
  'CO',
  'LTD',
  'CORP',
  'CORPORATION',
  'COMPANY',
  'PLC',
  'LIMITED',
  'ENTERPRISE',
  'ENTERPRISES',
  'TRADING',
  'STORE',
  'STORES',
  'SHOP',
  'RESTAURANT',
  'RESTORAN',
  'CAFE',
  'MARKET',
  'MART',
  'SUPERMARKET',
  'HOUSE',
  'CENTER',
  'CENTRE',
  'SYARIKAT',
  'PERNIAGAAN',
  'KEDAI',
  'HARDWARE',
  'PHARMACY',
  'BAKERY',
  'GROCERY',
  'STOP',
  'BAR',
  'TAX',
  'INVOICE',
  'RECEIPT',
  'SIMPLIFIED',
  'CASH',
  'SALES',
  'BILL',
  'WELCOME',
  'THANK',
  'YOU',
  'BRANCH',
  'OUTLET',
  'HQ',
  'MY',
  'GST',
  'REG',
  'NO',
  'TEL',
  'FAX',
]);

/** Distinctive name tokens: generic business words, numbers-only and 1–2 letter tokens dropped. */
export function nameTokens(text: string): string[] {
  return tokenize(text).filter((t) => t.length >= 3 && !/^\d+$/.test(t) && !GENERIC_NAME_WORDS.has(t));
}

/** Character trigrams of each token, padded, for fuzzy comparisons that survive OCR slips. */
export function trigrams(text: string): Set<string> {
  const grams = new Set<string>();
  for (const token of tokenize(text)) {
    const padded = `  ${token} `;
    for (let i = 0; i + 3 <= padded.length; i++) grams.add(padded.slice(i, i + 3));
  }
  return grams;
}

/** Sørensen–Dice coefficient of two sets. */
export function dice<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const x of a) if (b.has(x)) shared++;
  return (2 * shared) / (a.size + b.size);
}

/** Levenshtein distance, capped: returns `cap + 1` as soon as the distance must exceed `cap`. */
export function editDistance(a: string, b: string, cap = 2): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      row.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > cap) return cap + 1;
    prev = row;
  }
  return prev[b.length] ?? cap + 1;
}

/**
 * Characters OCR confuses on printed receipts, folded to one representative each: 0/O/D/Q, 1/I/L,
 * 5/S, 8/B, 2/Z, 6/G. Only for comparisons: a folded token is never shown.
 */
const OCR_CONFUSABLE: Readonly<Record<string, string>> = {
  '0': 'O',
  D: 'O',
  Q: 'O',
  '1': 'I',
  L: 'I',
  '|': 'I',
  '5': 'S',
  '8': 'B',
  '2': 'Z',
  '6': 'G',
};

/** A token with OCR-confusable characters folded (see {@link OCR_CONFUSABLE}). */
export function foldOcr(token: string): string {
  let out = folded.get(token);
  if (out !== undefined) return out;
  out = '';
  for (const c of token.toUpperCase()) out += OCR_CONFUSABLE[c] ?? c;
  if (folded.size >= FOLDED_TOKENS) folded.clear();
  folded.set(token, out);
  return out;
}

/**
 * {@link foldOcr}'s answers for the tokens seen last. Why: {@link tokensAgree} folds both of its
 * tokens, and the merchant checks compare each candidate's tokens with every token of the
 * receipt, so the same receipt tokens were folded again per candidate and per token (the top
 * item of those checks' CPU on serve's main thread; issue 18, P8). A receipt has a few hundred
 * distinct tokens; the bound keeps a long-running process's map small.
 */
const folded = new Map<string, string>();
const FOLDED_TOKENS = 4096;

/**
 * Same token once OCR-confusable characters are folded, or a few slips apart: one for tokens of
 * five or more characters, two for tokens of eight or more (long words survive two misreads and
 * still say which word they were; short ones do not).
 */
export function tokensAgree(a: string, b: string): boolean {
  if (a === b) return true;
  const x = foldOcr(a);
  const y = foldOcr(b);
  if (x === y) return Math.min(a.length, b.length) >= 3;
  const shorter = Math.min(x.length, y.length);
  if (shorter < 5) return false;
  const allowed = shorter >= 8 ? 2 : 1;
  return editDistance(x, y, allowed) <= allowed;
}

/** The Places-cache spelling of a text query: upper-case tokens joined by single spaces. */
export function normalizeQuery(query: string): string {
  return tokenize(query).join(' ');
}
