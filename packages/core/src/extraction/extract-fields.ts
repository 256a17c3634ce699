/** Key fields of a receipt, as SROIE task 3 scores them (company, date and total as printed). */
export interface SroieFields {
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

/**
 * A value and the index of the line (top to bottom) it was read from; `text` is the value as
 * printed (an amount with its currency mark, thousands separators kept) where that differs.
 */
export interface Located {
  value: string;
  index: number;
  text?: string;
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
    const here = printedAmounts(line);
    if (here.length > 0) return located(here[here.length - 1]!, i);
    const next = printedAmounts(lines[i + 1] ?? '');
    if (next.length > 0 && i + 1 < body) return located(next[0]!, i + 1);
  }
  // No total line: the largest amount, leaving out cash handed over and change given back.
  let best: { amount: number; index: number; text: string } | null = null;
  for (const [index, line] of lines.entries()) {
    if (TENDERED.test(line)) continue;
    for (const printed of printedAmounts(line)) {
      const a = Number(printed.value.replace('$', ''));
      if (Number.isFinite(a) && (!best || a > best.amount)) best = { amount: a, index, text: printed.text };
    }
  }
  return best ? { value: best.amount.toFixed(2), index: best.index, text: best.text } : null;
}

function located(printed: PrintedAmount, index: number): Located {
  return { value: printed.value, index, text: printed.text };
}

/** An amount on a line: as SROIE writes it (`value`), as printed (`text`), and where it starts. */
export interface PrintedAmount {
  value: string;
  text: string;
  at: number;
}

/** {@link amounts} with each amount's printed text and position. */
export function printedAmounts(line: string): PrintedAmount[] {
  return [...line.matchAll(AMOUNT)].map((m) => ({
    value: `${m[0].startsWith('$') ? '$' : ''}${(m[1] ?? '').replace(/,/g, '')}`,
    text: m[0].trim(),
    at: m.index + (m[0].length - m[0].trimStart().length),
  }));
}

/**
 * The amounts on a line, thousands separators dropped. A dollar sign printed against the amount
 * stays ("$6.90"), as SROIE's annotators kept it; "RM" is dropped, as they mostly did.
 */
export function amounts(line: string): string[] {
  return printedAmounts(line).map((a) => a.value);
}

export function locateCompany(lines: readonly string[]): Located | null {
  const index = lines.slice(0, 6).findIndex((l) => /[A-Za-z]{3,}/.test(l) && !/\d{3,}/.test(l));
  return index >= 0 ? { value: lines[index]!.trim(), index } : null;
}
