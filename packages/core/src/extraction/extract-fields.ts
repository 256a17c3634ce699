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
const TOTAL_KEYWORD = /\b(?:GRAND\s*TOTAL|TOTAL\s*(?:AMOUNT|AMT|DUE|SALES|RM|\(RM\))?|AMOUNT\s*DUE|NETT?\s*(?:TOTAL|AMOUNT)|ROUNDED\s*TOTAL|TOTAL\s*INCL)/i;
/** "Total Sales (Inclusive GST)", "Total Incl. GST": the total, not the tax line. */
const INCLUSIVE_TAX = /\(?\s*INCL(?:USIVE|\.|UDING)?\s*(?:OF\s*)?(?:GST|SST|TAX)\s*\)?/gi;
/** Money handed over or back: never the total itself. */
const TENDERED = /\b(?:CASH|CHANGE|TENDER(?:ED)?|PAID|PAYMENT|BALANCE)\b/i;
const NOT_TOTAL = /\b(?:SUB\s*-?\s*TOTAL|TOTAL\s*(?:QTY|QUANTITY|ITEMS?|DISCOUNT|SAVINGS|GST|TAX|EXCL)|GST|TAX|CHANGE|CASH|TENDER|ROUNDING|QTY)\b/i;

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
  let fallback: string | null = null;
  for (const pattern of DATE_PATTERNS) {
    for (const line of lines) {
      const match = pattern.exec(line);
      if (!match?.[1]) continue;
      if (plausibleDate(match[1])) return match[1];
      fallback ??= match[1];
    }
  }
  return fallback;
}

/** Day 1–31 and month 1–12, read d/m/y or m/d/y (or y/m/d); month-name dates are taken as printed. */
function plausibleDate(text: string): boolean {
  const parts = text.split(/[/.\- ]/);
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p))) return true;
  const [a, b, c] = parts.map(Number) as [number, number, number];
  const ok = (day: number, month: number) => day >= 1 && day <= 31 && month >= 1 && month <= 12;
  return (parts[0] ?? '').length === 4 ? ok(c, b) : ok(a, b) || ok(b, a);
}

export function findTotal(lines: readonly string[]): string | null {
  // The amount on (or right after) the last total-like line wins: receipts print subtotal,
  // tax, then total, and often repeat the total after rounding.
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    const plain = line.replace(INCLUSIVE_TAX, ' ');
    if (!TOTAL_KEYWORD.test(plain) || NOT_TOTAL.test(plain)) continue;
    const here = amounts(line);
    if (here.length > 0) return here[here.length - 1] ?? null;
    const next = amounts(lines[i + 1] ?? '');
    if (next.length > 0) return next[0] ?? null;
  }
  // No total line: the largest amount, leaving out cash handed over and change given back.
  const all = lines
    .filter((l) => !TENDERED.test(l))
    .flatMap(amounts)
    .map(Number)
    .filter(Number.isFinite);
  if (all.length === 0) return null;
  return Math.max(...all).toFixed(2);
}

function amounts(line: string): string[] {
  return [...line.matchAll(AMOUNT)].map((m) => (m[1] ?? '').replace(/,/g, ''));
}

function guessCompany(lines: readonly string[]): string | null {
  const candidate = lines
    .slice(0, 6)
    .map((l) => l.trim())
    .find((l) => /[A-Za-z]{3,}/.test(l) && !/\d{3,}/.test(l));
  return candidate ?? null;
}
