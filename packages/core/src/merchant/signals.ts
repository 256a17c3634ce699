import { extractIdentifiers } from './identifiers.js';
import { normalizePhone } from './normalize.js';
import { MIN_PHONE_DIGITS } from './thresholds.js';

/** What a receipt's own text says about its merchant. */
export interface MerchantSignals {
  /** Phone numbers found, normalised digits, best first (lines labelled TEL/PHONE first). */
  phones: string[];
  /** Index of the line each phone came from, aligned with `phones`. */
  phoneLineIndexes: number[];
  /** Address-like lines, top to bottom. */
  addressLines: string[];
  addressLineIndexes: number[];
  /** Likely merchant names, best first (at most 5). */
  nameCandidates: string[];
  nameLineIndexes: number[];
  /** Postcodes / ZIP codes seen in address lines. */
  postcodes: string[];
  /** Tax ids (GST ID) printed by the merchant, digits only. */
  taxIds: string[];
  /** Company registration numbers, digits only without leading zeros. */
  registrationNos: string[];
  /** The outlet line under the address ("1214-JINJANG UTARA"), or null. */
  branchLine: string | null;
  /** The outlet number of the branch line ("1214"), or null. */
  branchNumber: string | null;
  /** Lines holding a tax id or registration number. */
  identifierLineIndexes: number[];
  /** The first lines of the receipt, where the merchant prints itself. */
  headerLines: string[];
}

/** Only this many lines from the top are searched for the merchant's name. */
const NAME_SEARCH_LINES = 8;
const MAX_NAME_CANDIDATES = 5;
/** Address and phone sit in the header or footer; item lines in between are not searched. */
const HEADER_LINES = 15;
const FOOTER_LINES = 6;

// Digits with the separators phone numbers use; no "/" (dates) and no ":" (times).
const PHONE_RUN = /(?:\+\s?)?\(?\d[\d\s().-]{5,22}\d/g;
const PHONE_LABEL = /\b(?:TEL|TELEPHONE|PHONE|PH|HP|MOBILE|MOB|CALL|T)\b\.?\s*[:.]?/i;
const NOT_PHONE_LINE =
  /\b(?:GST|SST|REG|ROC|CO\.?\s*NO|COMPANY\s*NO|INVOICE|INV|RECEIPT\s*NO|BILL\s*NO|DOC|CARD|ACC(?:OUNT)?|APPROVAL|AUTH|TERMINAL|TID|MID|BATCH|REF|TRANS|SERIAL|BARCODE|MEMBER)\b/i;
const DATE =
  /\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b|\b\d{4}[/.-]\d{1,2}[/.-]\d{1,2}\b|\b\d{1,2}[ -](?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*[ -]\d{2,4}\b/i;
const TIME = /\b\d{1,2}:\d{2}(?::\d{2})?\b/;
const AMOUNT = /\d+[.,]\d{2}\b/;
const TOTAL_WORDS =
  /\b(?:TOTAL|SUBTOTAL|SUB-TOTAL|AMOUNT|CHANGE|CASH|TENDER|ROUNDING|BALANCE|QTY|DISCOUNT|VISA|MASTERCARD|DEBIT|CREDIT)\b/i;
const STREET_WORDS =
  /\b(?:JALAN|JLN|JL|LORONG|LRG|TAMAN|TMN|PERSIARAN|LEBUH|LEBUHRAYA|BANDAR|KAMPUNG|KG|BATU|KM|LOT|BLOCK|BLK|LEVEL|FLOOR|SUITE|STE|UNIT|ST|STREET|AVE|AVENUE|ROAD|RD|BLVD|BOULEVARD|DRIVE|DR|LANE|LN|WAY|HWY|HIGHWAY|ROUTE|PLAZA|SQUARE|SQ|COURT|CT|PLACE|PL|PARKWAY|PKWY|CIRCLE|TERRACE|CRESCENT|MALL|CENTRE|CENTER|INDUSTRIAL|PERINDUSTRIAN|SEKSYEN|SECTION)\b/i;
/** "NO. 12", "NO 7": a house number; "No : DPC11" (an invoice number) is not. */
const HOUSE_NUMBER = /\bNO\.?\s?\d/i;
const MALAY_STREET_WORDS = /\b(?:JALAN|JLN|LORONG|LRG|TAMAN|TMN|PERSIARAN|LEBUH|LEBUHRAYA|KAMPUNG)\b/i;
const REGION_WORDS =
  /\b(?:KUALA\s+LUMPUR|SELANGOR|JOHOR|PERAK|PENANG|PULAU\s+PINANG|KEDAH|MELAKA|MALACCA|PAHANG|SABAH|SARAWAK|NEGERI\s+SEMBILAN|KELANTAN|TERENGGANU|PERLIS|PUTRAJAYA|LABUAN|PETALING\s+JAYA|SHAH\s+ALAM|SUBANG|PUCHONG|KLANG|CHERAS|AMPANG|KAJANG|SERI\s+KEMBANGAN|SETAPAK|W\.?\s*P\.?|MALAYSIA|USA)\b/i;
const US_STATE_ZIP = /\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b/;
const POSTCODE = /\b\d{5}\b/;
const NOT_ADDRESS =
  /\b(?:GST|SST|TEL|PHONE|FAX|EMAIL|E-MAIL|WWW|HTTP|INVOICE|RECEIPT|CASHIER|TABLE|ORDER|DATE|TIME|MEMBER|THANK|BILL|DOC|CHECK|COUNTER|SLIP|POS|TERMINAL|SERVER|GUEST|PAX)\b|@/i;
const GENERIC_HEADER =
  /^(?:\W*)(?:TAX\s+INVOICE|SIMPLIFIED\s+TAX\s+INVOICE|INVOICE|RECEIPT|OFFICIAL\s+RECEIPT|CASH\s+(?:SALE|BILL|RECEIPT)|SALES\s+RECEIPT|WELCOME|THANK\s+YOU.*|COPY|ORIGINAL|CUSTOMER\s+COPY|MERCHANT\s+COPY|BILL|CHECK|ORDER|DUPLICATE|REPRINT)(?:\W*)$/i;
const COMPANY_HINT =
  /\b(?:SDN\.?\s*BHD|SDN\b|BHD|BERHAD|LLC|INC|LTD|CORP|CO\.|COMPANY|ENTERPRISES?|TRADING|RESTAURANT|RESTORAN|CAFE|STORE|MART|MARKET|SUPERMARKET|BAKERY|PHARMACY|HARDWARE|GROCERY|KEDAI|SYARIKAT|PERNIAGAAN|HOLDINGS)\b/i;
/** A company registration number printed under the name, e.g. "(81109-A)". */
const REGISTRATION = /^\W*(?:CO\.?\s*(?:REG\.?\s*)?NO\.?\s*:?)?\s*\(?\d{3,}[- ]?[A-Z]?\)?\W*$/i;

/** Most digits an unlabelled number may have: 11 covers Malaysian mobiles and US numbers. */
const MAX_UNLABELLED_PHONE_DIGITS = 11;
/** A company registration number's check letter right after the digits: "001451637-M". */
const REGISTRATION_SUFFIX = /^\s?-\s?[A-Z]\b/i;
/** A price inside a digit run ("5 1.32 000 6.60"): item lines, not phones. */
const PRICE_INSIDE = /\d\.\d{2}(?!\d)/;
const LABEL_ANYWHERE = /\b(?:TEL|TELEPHONE|PHONE|PH|HP|MOBILE|MOB|CALL|T|FAX)\b/gi;

/** One phone number found on a line, with how it ranks: 0 labelled TEL/PHONE, 1 unlabelled, 2 FAX. */
export interface PhoneHit {
  digits: string;
  rank: number;
}

/**
 * Phone numbers on one line with their rank. Each number takes the label printed closest before
 * it, so "TEL: 03-1111 2222 FAX: 03-1111 3333" ranks the first as a phone and the second as a fax.
 * Unlabelled runs must look like a phone: 9–11 digits with separators, no price inside, not a
 * registration number ("(001451637-M)").
 */
export function phoneHitsInLine(line: string): PhoneHit[] {
  if (NOT_PHONE_LINE.test(line) && !PHONE_LABEL.test(line)) return [];
  const labels = [...line.matchAll(LABEL_ANYWHERE)].map((m) => ({ at: m.index ?? 0, fax: /FAX/i.test(m[0]) }));
  const found: PhoneHit[] = [];
  for (const match of line.matchAll(PHONE_RUN)) {
    const text = match[0];
    const start = match.index ?? 0;
    const digits = text.replace(/\D/g, '');
    // An amount like "1,234.50" or "12.50" is not a phone; neither is a bare serial number.
    if (/^\d+[.,]\d{2}$/.test(text.trim())) continue;
    const label = labels.filter((l) => l.at < start).pop();
    const labelled = label !== undefined;
    if (digits.length < (labelled ? MIN_PHONE_DIGITS : 9) || digits.length > 15) continue;
    if (!labelled) {
      if (!/[\s().+-]/.test(text) || PRICE_INSIDE.test(text)) continue;
      if (REGISTRATION_SUFFIX.test(line.slice(start + text.length))) continue;
      if (normalizePhone(text).length > MAX_UNLABELLED_PHONE_DIGITS) continue;
    }
    found.push({ digits: normalizePhone(text), rank: label ? (label.fax ? 2 : 0) : 1 });
  }
  return found;
}

/** Phone numbers (normalised digits) on one line, or none. */
export function phonesInLine(line: string): string[] {
  return phoneHitsInLine(line).map((h) => h.digits);
}

export function isAddressLike(line: string): boolean {
  if (NOT_ADDRESS.test(line) || TAX_ID_LINE.test(line) || DATE.test(line) || TIME.test(line) || TOTAL_WORDS.test(line))
    return false;
  if (AMOUNT.test(line) && !POSTCODE.test(line)) return false;
  if (!/[A-Za-z]{2}/.test(line)) return false;
  // Street words alone also occur in names ("HARBOR LANE GROCERY"): they need a number with them.
  return (
    US_STATE_ZIP.test(line) ||
    REGION_WORDS.test(line) ||
    MALAY_STREET_WORDS.test(line) ||
    ((STREET_WORDS.test(line) || HOUSE_NUMBER.test(line)) && /\d/.test(line)) ||
    (POSTCODE.test(line) && /,/.test(line))
  );
}

const BRANCH_LINE = /^\W*\d{1,5}\s*[-,]?\s*[A-Za-z]{3,}/;
/**
 * An outlet number and name, "1214-JINJANG UTARA" or "1317 TRILLIUM": three or four digits (a
 * five-digit number is a postcode) then words, no comma (a comma means a street address).
 */
const OUTLET_LINE = /^[\s|([{]*(\d{3,4})\s*-\s*[A-Za-z]{2,}[^,]*$/;
/** A tax-id line however OCR spelt its label ("G57 ID. NO"): never part of the address. */
const TAX_ID_LINE = /(?:^|[^A-Z0-9])(?:[GB6C][S5][T7])(?![A-Z])/i;

function isBranchLine(line: string): boolean {
  const t = line.trim();
  if (t.length > 40 || !BRANCH_LINE.test(t)) return false;
  return !(
    NOT_ADDRESS.test(t) ||
    DATE.test(t) ||
    TIME.test(t) ||
    TOTAL_WORDS.test(t) ||
    AMOUNT.test(t) ||
    GENERIC_HEADER.test(t)
  );
}

function letterRatio(line: string): number {
  const visible = line.replace(/\s/g, '');
  if (visible.length === 0) return 0;
  return (visible.match(/[A-Za-z]/g)?.length ?? 0) / visible.length;
}

function upperRatio(line: string): number {
  const letters = line.match(/[A-Za-z]/g) ?? [];
  if (letters.length === 0) return 0;
  return letters.filter((c) => c === c.toUpperCase()).length / letters.length;
}

/**
 * Reads merchant signals from receipt lines (top to bottom):
 * - phones: digit runs with phone separators, 9–15 digits, or 7+ digits on a line labelled
 *   TEL/PHONE; lines about GST/registration/invoice/card numbers are skipped; a TEL line's
 *   number ranks before a FAX line's.
 * - address lines: street words (ST, AVE, ROAD, NO., …) with a number, Malay street words
 *   (JALAN, JLN, TAMAN, …), US "ST 12345", a postcode with commas, or a Malaysian state/city; never lines with phone, date, time or totals. A short
 *   line between two address lines (e.g. a district name) joins the block.
 * - name candidates: in the top 8 lines, lines that are mostly letters and not phone, address,
 *   date, total, registration or generic headers ("TAX INVOICE"), scored for upper case,
 *   company hints (SDN BHD, LLC, INC, …) and closeness to the top; best 5.
 */
export function extractMerchantSignals(lines: readonly string[]): MerchantSignals {
  const n = lines.length;
  const inZone = (i: number) => i < HEADER_LINES || i >= n - FOOTER_LINES;
  const phoneHits: { digits: string; index: number; rank: number }[] = [];
  const phoneLines = new Set<number>();
  lines.forEach((line, index) => {
    if (!inZone(index)) return;
    for (const { digits, rank } of phoneHitsInLine(line)) {
      if (!phoneHits.some((h) => h.digits === digits)) phoneHits.push({ digits, index, rank });
      phoneLines.add(index);
    }
  });
  phoneHits.sort((a, b) => a.rank - b.rank || a.index - b.index);

  const address = new Set<number>();
  lines.forEach((line, index) => {
    if (inZone(index) && !phoneLines.has(index) && isAddressLike(line)) address.add(index);
  });
  // A district or town on its own line sits between street and postcode lines.
  for (let i = 1; i < n - 1; i++) {
    const line = lines[i] ?? '';
    if (address.has(i) || phoneLines.has(i) || !address.has(i - 1) || !address.has(i + 1)) continue;
    if (line.trim().length <= 40 && letterRatio(line) > 0.6 && !NOT_ADDRESS.test(line)) address.add(i);
  }
  // A branch or outlet line right under the address block ("1214-TMN MELATI", "88 MAIN HALL"):
  // a leading number and a word, nothing that is a phone, a tax id, a date or an amount.
  const lastHeaderAddress = Math.max(-1, ...[...address].filter((i) => i < HEADER_LINES));
  const next = lastHeaderAddress >= 0 ? lastHeaderAddress + 1 : -1;
  if (next > 0 && next < n && !phoneLines.has(next) && isBranchLine(lines[next] ?? '')) address.add(next);
  // The outlet line of a chain shop ("1214-JINJANG UTARA"), within or right under the address.
  const branchIndex = [...address]
    .sort((a, b) => a - b)
    .find((i) => i < HEADER_LINES && OUTLET_LINE.test((lines[i] ?? '').trim()) && !REGION_WORDS.test(lines[i] ?? ''));
  const branchLine = branchIndex === undefined ? null : (lines[branchIndex] ?? '').trim();
  const addressLineIndexes = [...address].sort((a, b) => a - b);

  const names: { index: number; score: number }[] = [];
  for (let index = 0; index < Math.min(n, NAME_SEARCH_LINES); index++) {
    const line = (lines[index] ?? '').trim();
    if (line.replace(/[^A-Za-z]/g, '').length < 3) continue;
    if (phoneLines.has(index) || address.has(index)) continue;
    if (GENERIC_HEADER.test(line) || REGISTRATION.test(line)) continue;
    // "SEGI CASH & CARRY": a total word on a line without a digit is part of a name.
    if (DATE.test(line) || TIME.test(line) || (TOTAL_WORDS.test(line) && /\d/.test(line)) || AMOUNT.test(line))
      continue;
    if (NOT_ADDRESS.test(line) && !COMPANY_HINT.test(line)) continue;
    if (letterRatio(line) < 0.5) continue;
    let score = 1 - 0.15 * index;
    if (upperRatio(line) >= 0.8) score += 1;
    if (COMPANY_HINT.test(line)) score += 1.5;
    names.push({ index, score });
  }
  names.sort((a, b) => b.score - a.score || a.index - b.index);
  const topNames = names.slice(0, MAX_NAME_CANDIDATES);

  const postcodes = new Set<string>();
  for (const i of addressLineIndexes) for (const m of (lines[i] ?? '').matchAll(/\b\d{5}\b/g)) postcodes.add(m[0]);

  const identifiers = extractIdentifiers(lines, inZone);
  return {
    taxIds: identifiers.taxIds,
    registrationNos: identifiers.registrationNos,
    identifierLineIndexes: [...new Set([...identifiers.taxIdLineIndexes, ...identifiers.registrationLineIndexes])],
    headerLines: lines.slice(0, HEADER_LINES).map((l) => l.trim()),
    branchLine,
    branchNumber: branchLine ? (OUTLET_LINE.exec(branchLine)?.[1] ?? null) : null,
    phones: phoneHits.map((h) => h.digits),
    phoneLineIndexes: phoneHits.map((h) => h.index),
    addressLines: addressLineIndexes.map((i) => (lines[i] ?? '').trim()),
    addressLineIndexes,
    nameCandidates: topNames.map((c) => (lines[c.index] ?? '').trim()),
    nameLineIndexes: topNames.map((c) => c.index),
    postcodes: [...postcodes],
  };
}

/** The header and footer lines, where a merchant prints its name, address and phone. */
export function merchantZoneLines(lines: readonly string[]): string[] {
  const n = lines.length;
  return lines.filter((_, i) => i < HEADER_LINES || i >= n - FOOTER_LINES);
}

/** The best phone of the receipt (digits), or null. */
export function primaryPhone(signals: MerchantSignals): string | null {
  return signals.phones[0] ?? null;
}

/** Which kinds of merchant signal one line carries, for vector metadata. */
export function lineSignalFlags(
  signals: MerchantSignals,
  lineIndex: number,
): { has_phone: boolean; has_address: boolean; is_name: boolean } {
  return {
    has_phone: signals.phoneLineIndexes.includes(lineIndex),
    has_address: signals.addressLineIndexes.includes(lineIndex),
    is_name: signals.nameLineIndexes.includes(lineIndex),
  };
}
