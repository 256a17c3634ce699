import { ReceiptFieldsRecordSchema, type ExtractedField, type ReceiptFieldsRecord } from '../domain/receipt-fields.js';

/** Key fields of a receipt, as SROIE task 3 scores them. */
export interface ReceiptFields {
  company: string | null;
  date: string | null;
  address: string | null;
  total: string | null;
}

const DATE_PATTERNS: RegExp[] = [
  /\b(\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2}))\b/,
  /\b(\d{4}[/.-]\d{1,2}[/.-]\d{1,2})\b/,
  /\b(\d{1,2}[ -](?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*[ -]\d{2,4})\b/i,
];

const AMOUNT = /(?:RM|\$|USD|MYR)?\s*(\d{1,3}(?:,\d{3})*\.\d{2}|\d+\.\d{2})\b/gi;
const TOTAL_KEYWORD =
  /\b(?:GRAND\s*TOTAL|TOTAL\s*(?:AMOUNT|AMT|DUE|SALES|RM|\(RM\))?|AMOUNT\s*DUE|NETT?\s*(?:TOTAL|AMOUNT)|ROUNDED\s*TOTAL|TOTAL\s*INCL)/i;
/** "Total Sales (Inclusive GST)", "Total Incl. GST": the total, not the tax line. */
const INCLUSIVE_TAX = /\(?\s*INCL(?:USIVE|\.|UDING)?\s*(?:OF\s*)?(?:GST|SST|TAX)\s*\)?/gi;
/** The tax summary block's heading ("GST Summary", "Tax Code % Amt"), however OCR spelt it. */
const TAX_SUMMARY = /\b(?:[GBC6][S5][T7]|SST|TAX)\s*SU[MN]+AR[YV]|\bTAX\s*CODE\b|\bTAXCODE\b/i;
/** Money handed over or back: never the total itself. */
const TENDERED = /\b(?:CASH|CHANGE|TENDER(?:ED)?|PAID|PAYMENT|BALANCE)\b/i;
const NOT_TOTAL =
  /\b(?:SUB\s*-?\s*TOTAL|TOTAL\s*(?:QTY|QUANTITY|ITEMS?|DISCOUNT|SAVINGS|GST|TAX|EXCL)|EXCL(?:UDING|\.)?|GST|TAX|CHANGE|CASH|TENDER|ROUNDING|QTY)\b/i;

/**
 * Date and total from the receipt's lines (top to bottom); company and address from the
 * resolved merchant when there is one, because the place's record is cleaner than OCR text.
 */
export function extractReceiptFields(
  lines: readonly string[],
  merchant?: { name: string | null; address: string | null },
): ReceiptFields {
  return {
    company: merchant?.name ?? guessCompany(lines),
    date: findDate(lines),
    address: merchant?.address ?? null,
    total: findTotal(lines),
  };
}

/**
 * The first date on the receipt whose day and month could be real (OCR turns "06/08" into
 * "96/08"); the first date-shaped text when none could.
 */
export function findDate(lines: readonly string[]): string | null {
  return locateDate(lines)?.value ?? null;
}

/** {@link findDate} with the index of the line it was read from. */
export function locateDate(lines: readonly string[]): Located | null {
  let fallback: Located | null = null;
  for (const pattern of DATE_PATTERNS) {
    for (const [index, line] of lines.entries()) {
      const match = pattern.exec(line);
      if (!match?.[1]) continue;
      if (plausibleDate(match[1])) return { value: match[1], index };
      const repaired = repairDate(match[1]);
      if (repaired) return { value: repaired, index };
      fallback ??= { value: match[1], index };
    }
  }
  // "2512/2018": the first separator lost; day and month put back apart when that reads as a date.
  for (const [index, line] of lines.entries()) {
    const m = /\b(\d{2})(\d{2})([/.-])(\d{4})\b/.exec(line);
    if (m && plausibleDate(`${m[1]}${m[3]}${m[2]}${m[3]}${m[4]}`))
      return { value: `${m[1]}${m[3]}${m[2]}${m[3]}${m[4]}`, index };
  }
  return fallback;
}

/**
 * An implausible date with OCR's commonest digit slip undone: thermal print's 0 read as 8
 * ("17/83/2817" is 17/03/2017). Only month and year are repaired, and only to a plausible date.
 */
function repairDate(text: string): string | null {
  const parts = text.split(/([/.-])/);
  if (parts.length !== 5) return null;
  const [d, sep, m, , y] = parts as [string, string, string, string, string];
  const fixed = `${d}${sep}${m.replace(/8/g, '0')}${sep}${y.length === 4 ? y.replace(/^(\d)8/, '$10') : y}`;
  return fixed !== text && plausibleDate(fixed) ? fixed : null;
}

/** A value and the index of the line (top to bottom) it was read from. */
export interface Located {
  value: string;
  index: number;
}

/** Day 1–31 and month 1–12, read d/m/y or m/d/y (or y/m/d); month-name dates are taken as printed. */
function plausibleDate(text: string): boolean {
  const parts = text.split(/[/.\- ]/);
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p))) return true;
  const [a, b, c] = parts.map(Number) as [number, number, number];
  const ok = (day: number, month: number) => day >= 1 && day <= 31 && month >= 1 && month <= 12;
  // Receipts are recent: a four-digit year outside 1990–2039 is a misread.
  const year = (parts[0] ?? '').length === 4 ? a : (parts[2] ?? '').length === 4 ? c : 2000;
  if (year < 1990 || year > 2039) return false;
  return (parts[0] ?? '').length === 4 ? ok(c, b) : ok(a, b) || ok(b, a);
}

export function findTotal(lines: readonly string[]): string | null {
  return locateTotal(lines)?.value ?? null;
}

/** {@link findTotal} with the index of the line it was read from. */
export function locateTotal(lines: readonly string[]): Located | null {
  // The tax summary at the foot ("GST Summary … Total 29.24 1.76") repeats the net amount and
  // the tax under a TOTAL heading: never the amount paid.
  const summary = lines.findIndex((l) => TAX_SUMMARY.test(l));
  const body = summary >= 0 ? summary : lines.length;
  // The amount on (or right after) the last total-like line wins: receipts print subtotal,
  // tax, then total, and often repeat the total after rounding.
  for (let i = body - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    const plain = line.replace(INCLUSIVE_TAX, ' ');
    if (!TOTAL_KEYWORD.test(plain) || NOT_TOTAL.test(plain)) continue;
    const here = amounts(line);
    if (here.length > 0) return { value: here[here.length - 1]!, index: i };
    const next = amounts(lines[i + 1] ?? '');
    if (next.length > 0 && i + 1 < body) return { value: next[0]!, index: i + 1 };
  }
  // No total line: the largest amount, leaving out cash handed over and change given back.
  let best: { amount: number; index: number } | null = null;
  for (const [index, line] of lines.entries()) {
    if (TENDERED.test(line)) continue;
    for (const a of amounts(line)
      .map((x) => Number(x.replace('$', '')))
      .filter(Number.isFinite)) {
      if (!best || a > best.amount) best = { amount: a, index };
    }
  }
  return best ? { value: best.amount.toFixed(2), index: best.index } : null;
}

/**
 * The amounts on a line, thousands separators dropped. A dollar sign printed against the amount
 * stays ("$6.90"), as SROIE's annotators kept it; "RM" is dropped, as they mostly did.
 */
function amounts(line: string): string[] {
  return [...line.matchAll(AMOUNT)].map((m) => `${m[0].startsWith('$') ? '$' : ''}${(m[1] ?? '').replace(/,/g, '')}`);
}

function guessCompany(lines: readonly string[]): string | null {
  return locateCompany(lines)?.value ?? null;
}

function locateCompany(lines: readonly string[]): Located | null {
  const index = lines.slice(0, 6).findIndex((l) => /[A-Za-z]{3,}/.test(l) && !/\d{3,}/.test(l));
  return index >= 0 ? { value: lines[index]!.trim(), index } : null;
}

/**
 * The key fields of one receipt as a record the read side can store: each value with the
 * `line_id`s it was read from. Company and address come from the resolved place when there is
 * one (its record is cleaner than OCR text), else company from the receipt's top lines and no
 * address.
 *
 * @example
 * const record = extractReceiptFieldRecord({ image_id, receipt_id: 1 }, lines, place);
 * record.total; // { value: '80.90', line_ids: [22], source: 'ocr' }
 */
export function extractReceiptFieldRecord(
  receipt: { image_id: string; receipt_id: number },
  lines: readonly { line_id: number; text: string }[],
  merchant?: { name: string | null; address: string | null },
): ReceiptFieldsRecord {
  const texts = lines.map((l) => l.text);
  const fromOcr = (found: Located | null): ExtractedField | null =>
    found ? { value: found.value, line_ids: [lines[found.index]!.line_id], source: 'ocr' } : null;
  const fromPlace = (value: string | null | undefined): ExtractedField | null =>
    value ? { value, line_ids: [], source: 'place' } : null;
  const date = locateDate(texts);
  return ReceiptFieldsRecordSchema.parse({
    image_id: receipt.image_id,
    receipt_id: receipt.receipt_id,
    company: merchant?.name ? fromPlace(merchant.name) : fromOcr(locateCompany(texts)),
    date: fromOcr(date),
    date_iso: date ? isoDate(date.value) : null,
    address: fromPlace(merchant?.address),
    total: fromOcr(locateTotal(texts)),
  });
}

/** The plain values of a field record, as SROIE scores them. */
export function fieldValues(record: ReceiptFieldsRecord): ReceiptFields {
  return {
    company: record.company?.value ?? null,
    date: record.date?.value ?? null,
    address: record.address?.value ?? null,
    total: record.total?.value ?? null,
  };
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/**
 * The ISO reading of a printed date, or null when it cannot be read. Numeric dates are read
 * day first (SROIE's receipts are Malaysian, printed DD/MM/YY), month first only when the first
 * part cannot be a day's month pairing (13/…); two-digit years are 20YY.
 */
export function isoDate(text: string): string | null {
  const named = /^(\d{1,2})[ -]([A-Z]{3})[A-Z]*[ -](\d{2,4})$/i.exec(text.trim());
  const parts = named
    ? [named[1]!, String(MONTHS.indexOf(named[2]!.toUpperCase()) + 1), named[3]!]
    : text.trim().split(/[/.-]/);
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p))) return null;
  let [a, b, c] = parts.map(Number) as [number, number, number];
  let year: number;
  let month: number;
  let day: number;
  if (parts[0]!.length === 4) [year, month, day] = [a, b, c];
  else {
    if (c < 100) c += 2000;
    if (b > 12 && a <= 12) [a, b] = [b, a];
    [day, month, year] = [a, b, c];
  }
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString().slice(0, 10);
}
