import { MIN_IDENTIFIER_DIGITS } from './thresholds.js';

/**
 * The merchant's own printed identifiers: a tax registration (Malaysian receipts print a
 * 12-digit "GST ID") and a company registration number ("(519537-X)", "CO-REG: 360671-D").
 * They name the company, not the branch: a chain prints the same ones in every shop, so they
 * find candidates in memory but never decide a branch on their own.
 */
export interface MerchantIdentifiers {
  /** Tax ids after a GST/SST/TAX ID label: their last nine digits. */
  taxIds: string[];
  /** Company registration numbers, digits only without leading zeros (the check letter is often misread). */
  registrationNos: string[];
  /** Line index of each tax id, aligned with `taxIds`. */
  taxIdLineIndexes: number[];
  registrationLineIndexes: number[];
}

/**
 * Letters OCR reads for digits inside a number (0/O/D/Q, 1/I/L/|, 5/S, 8/B, 2/Z, 6/G, 7/T).
 * Applied only inside a run that is already mostly digits, never to words.
 */
const DIGIT_FOR: Readonly<Record<string, string>> = {
  O: '0',
  D: '0',
  Q: '0',
  I: '1',
  L: '1',
  '|': '1',
  '!': '1',
  S: '5',
  B: '8',
  Z: '2',
  G: '6',
  T: '7',
};

/**
 * Tax ids are keyed on their last nine digits. Malaysian GST ids have 12 digits, of which the
 * first three are zeros that OCR often misreads or doubles ("0060381399040"); the last nine
 * still tell one company from another.
 */
const TAX_ID_KEY_DIGITS = 9;
/** "GST", and how OCR misreads it (G5T, 6ST, BST, GS7), or SST, or TAX ID / TAX REG. */
const TAX_LABEL = /(?:\b|^|[^A-Z0-9])(?:[GB6C][S5][T7]|S[S5][T7]|TAX\s*(?:ID|REG))(?![A-Z])/i;
/** A run of digit-like characters, possibly with spaces or dashes inside (OCR splits numbers). */
const DIGITISH_RUN = /[0-9ODQILSBZGT|!][0-9ODQILSBZGT|!\s-]{7,20}[0-9ODQILSBZGT|!]/gi;
/** "(519537-X)", "CO-REG: 360671-D", "Co. No. 0195380-D": digits, a dash, one check letter. */
const REGISTRATION_WITH_LETTER = /(?:^|[^0-9A-Z])(?:[A-Z]{1,3})?([0-9O]{5,10})\s?-\s?[A-Z](?![A-Z0-9])/gi;
/** "(JM0517726)", "(81109-A)", "(119386 X)": a bracketed id, under or after the name. */
const REGISTRATION_BRACKETED = /[({[]\s*([A-Z]{0,3}\s?[0-9O]{5,10})\s*(?:[-\s]\s?[A-Z])?\s*[)}\]]/gi;
/** A line about company registration ("CO. NO", "CO-REG", "ROC", "COMPANY NO"). */
const REGISTRATION_LABEL = /\b(?:C[O0]\.?\s*-?\s*(?:REG|RE[GC6]I?|N[O0])|ROC|COMPANY\s*(?:NO|REG))/i;

/** The digits of an OCR'd number run: letters that stand for digits folded, separators dropped. */
export function foldDigits(run: string): string {
  let out = '';
  for (const c of run.toUpperCase()) {
    if (c >= '0' && c <= '9') out += c;
    else if (DIGIT_FOR[c]) out += DIGIT_FOR[c];
  }
  return out;
}

/** True when most of the run's visible characters are real digits: a number, not a word. */
function mostlyDigits(run: string): boolean {
  const visible = run.replace(/[\s-]/g, '');
  const digits = visible.replace(/\D/g, '').length;
  return visible.length > 0 && digits / visible.length >= 0.6;
}

/** Tax ids on one line (after a GST/SST label), digits only. */
export function taxIdsInLine(line: string): string[] {
  const label = TAX_LABEL.exec(line);
  if (!label) return [];
  const after = line.slice((label.index ?? 0) + label[0].length);
  const found: string[] = [];
  for (const m of after.matchAll(DIGITISH_RUN)) {
    if (!mostlyDigits(m[0])) continue;
    const digits = foldDigits(m[0]);
    if (digits.length >= TAX_ID_KEY_DIGITS) found.push(digits.slice(-TAX_ID_KEY_DIGITS));
  }
  return found;
}

/** Company registration numbers on one line, digits only, leading zeros dropped. */
export function registrationNosInLine(line: string): string[] {
  if (TAX_LABEL.test(line) && !REGISTRATION_LABEL.test(line)) return [];
  const found = new Set<string>();
  const keep = (raw: string) => {
    const digits = foldDigits(raw.replace(/^[A-Z]{1,3}\s?/i, '')).replace(/^0+/, '');
    if (digits.length >= MIN_IDENTIFIER_DIGITS && digits.length <= 10) found.add(digits);
  };
  for (const m of line.matchAll(REGISTRATION_BRACKETED)) if (m[1] && mostlyDigits(m[1])) keep(m[1]);
  for (const m of line.matchAll(REGISTRATION_WITH_LETTER)) {
    // A phone ("03-1234 5678") or a date never ends in "-X"; invoice numbers have a label.
    if (m[1] && mostlyDigits(m[1])) keep(m[1]);
  }
  return [...found];
}

/** Searches the header and footer lines (indexes given) for the merchant's identifiers. */
export function extractIdentifiers(lines: readonly string[], zone: (index: number) => boolean): MerchantIdentifiers {
  const ids: MerchantIdentifiers = {
    taxIds: [],
    registrationNos: [],
    taxIdLineIndexes: [],
    registrationLineIndexes: [],
  };
  lines.forEach((line, index) => {
    if (!zone(index)) return;
    for (const t of taxIdsInLine(line)) {
      if (ids.taxIds.includes(t)) continue;
      ids.taxIds.push(t);
      ids.taxIdLineIndexes.push(index);
    }
    for (const r of registrationNosInLine(line)) {
      if (ids.registrationNos.includes(r)) continue;
      ids.registrationNos.push(r);
      ids.registrationLineIndexes.push(index);
    }
  });
  return ids;
}
