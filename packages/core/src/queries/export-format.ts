import { stringify } from 'csv-stringify/sync';
import type { Money, PaymentMethod } from '../domain/index.js';
import { ValidationError } from '../errors.js';
import { minorDigits } from '../extraction/index.js';

/** The formats {@link exportReceipts} writes: CSV for spreadsheets, JSON Lines for programs. */
export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * The CSV columns, in order. `total`, `subtotal` and `tax` are decimals in major units ("12.50"),
 * all in `currency` (the total's, else the first amount's). `possible_duplicate_of` is
 * `image_id/receipt_id` of the receipt this one repeats.
 */
export const EXPORT_CSV_COLUMNS = [
  'image_id',
  'receipt_id',
  'date',
  'merchant',
  'place_id',
  'merchant_source',
  'total',
  'subtotal',
  'tax',
  'currency',
  'payment_method',
  'possible_duplicate_of',
  'created_at',
] as const;

/** An amount as JSON Lines writes it: exact minor units, as the HTTP API does. */
export interface ExportAmount {
  amount_minor: number;
  currency: string;
}

/** One exported receipt: a JSON Lines record as it is, a CSV row once flattened. */
export interface ExportRecord {
  image_id: string;
  receipt_id: number;
  date: string | null;
  /** The receipt's place; `place_id` is null while the merchant is not resolved to a place. */
  merchant: { place_id: string | null; name: string | null; source: string } | null;
  total: ExportAmount | null;
  subtotal: ExportAmount | null;
  tax: ExportAmount | null;
  payment_method: PaymentMethod | null;
  possible_duplicate_of: { image_id: string; receipt_id: number } | null;
  created_at: string;
}

/**
 * What an export record is built from: a receipt as the listing gives it (a `ReceiptSummary`
 * fits, subtotal, tax and payment method included); the optional fields may be left out.
 */
export interface ExportSource {
  image_id: string;
  receipt_id: number;
  created_at: string;
  /** The receipt's date field, null when none was read or set. */
  date: string | null;
  merchant: { place_id: string | null; name: string | null; source: string } | null;
  total: ExportAmount | null;
  subtotal?: ExportAmount | null | undefined;
  tax?: ExportAmount | null | undefined;
  payment_method?: PaymentMethod | null | undefined;
  possible_duplicate_of?: { image_id: string; receipt_id: number } | undefined;
}

/** Builds the record one receipt exports to (a fixed set of keys, whatever the source carries). */
export function exportRecord(source: ExportSource): ExportRecord {
  const amount = (a: ExportAmount | null | undefined): ExportAmount | null =>
    a ? { amount_minor: a.amount_minor, currency: a.currency } : null;
  const dup = source.possible_duplicate_of;
  return {
    image_id: source.image_id,
    receipt_id: source.receipt_id,
    date: source.date,
    merchant: source.merchant
      ? { place_id: source.merchant.place_id, name: source.merchant.name, source: source.merchant.source }
      : null,
    total: amount(source.total),
    subtotal: amount(source.subtotal),
    tax: amount(source.tax),
    payment_method: source.payment_method ?? null,
    possible_duplicate_of: dup ? { image_id: dup.image_id, receipt_id: dup.receipt_id } : null,
    created_at: source.created_at,
  };
}

/** A stored field's amount as an export (and the HTTP API) writes it. */
export function exportAmount(money: Money | null | undefined): ExportAmount | null {
  return money ? { amount_minor: money.minor, currency: money.currency } : null;
}

/**
 * An amount in minor units as an exact decimal in major units: 1250 USD → "12.50", 1000 JPY →
 * "1000", -5 USD → "-0.05". String arithmetic, so no binary rounding ever shows up in a cell.
 *
 * @example
 * formatMinorUnits(123456, 'MYR'); // "1234.56"
 */
export function formatMinorUnits(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new ValidationError(`amount ${minor} is not a whole number of minor units`);
  const digits = minorDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor));
  if (digits === 0) return `${sign}${abs}`;
  const padded = abs.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/**
 * Characters a spreadsheet (Excel, LibreOffice, Google Sheets, Numbers) reads as the start of a
 * formula, including the full-width forms Numbers folds into them. The list is csv-stringify's
 * `escape_formulas` one (OWASP "CSV Injection").
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/**
 * A text cell a spreadsheet will not run: a value starting like a formula gets a leading `'`,
 * which spreadsheets show as text. Applied here to the text columns only, not through
 * csv-stringify's `escape_formulas` option, because that option would also prefix a negative
 * amount ("-4.20", a refund) and turn it into text that no SUM adds. Amounts and dates are
 * formatted by us from numbers and validated dates, so they cannot hold a formula.
 */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** The CSV header line (CRLF-terminated, as RFC 4180 writes records). */
export function csvHeader(): string {
  return stringify([[...EXPORT_CSV_COLUMNS]], { record_delimiter: 'windows' });
}

/**
 * CSV lines for records, one per receipt, in {@link EXPORT_CSV_COLUMNS} order: quoted by
 * csv-stringify as RFC 4180 says (a field holding a comma, quote, CR or LF is quoted, quotes
 * doubled; CRLF between records), text cells neutralized against formula injection.
 */
export function csvRows(records: readonly ExportRecord[]): string {
  if (records.length === 0) return '';
  const rows = records.map((r) => {
    const currency = r.total?.currency ?? r.subtotal?.currency ?? r.tax?.currency ?? null;
    const decimal = (a: ExportAmount | null) => (a ? formatMinorUnits(a.amount_minor, a.currency) : '');
    const text = (s: string | null | undefined) => (s ? neutralizeFormula(s) : '');
    return [
      text(r.image_id),
      String(r.receipt_id),
      r.date ?? '',
      text(r.merchant?.name),
      text(r.merchant?.place_id),
      text(r.merchant?.source),
      decimal(r.total),
      decimal(r.subtotal),
      decimal(r.tax),
      currency ?? '',
      r.payment_method ?? '',
      r.possible_duplicate_of ? text(`${r.possible_duplicate_of.image_id}/${r.possible_duplicate_of.receipt_id}`) : '',
      r.created_at,
    ];
  });
  return stringify(rows, { record_delimiter: 'windows' });
}

/** JSON Lines for records: one JSON object per line, LF-terminated. */
export function jsonLines(records: readonly ExportRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/**
 * The chunks of an export, one per page of receipts (the CSV header first), so that the caller
 * writes each as it comes and no more than a page is ever held. A bad format is refused at
 * once (ValidationError naming `format`), and the first chunk comes only once the first page is
 * read, so an HTTP route that pulls it before answering can still answer 400 for a bad query
 * instead of failing a response already begun.
 *
 * @example
 * for await (const chunk of exportChunks('csv', pagesOfSources)) response.write(chunk);
 */
export function exportChunks(format: ExportFormat, pages: AsyncIterable<ExportSource[]>): AsyncIterable<string> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ValidationError(`format must be ${EXPORT_FORMATS.join(' or ')}, got "${String(format)}"`);
  }
  return chunks(format, pages);
}

async function* chunks(format: ExportFormat, pages: AsyncIterable<ExportSource[]>): AsyncIterable<string> {
  const iterator = pages[Symbol.asyncIterator]();
  // The first page is read before the header is yielded: a query the listing refuses throws
  // from the first next(), while an HTTP route can still answer 400.
  let page = await iterator.next();
  if (format === 'csv') yield csvHeader();
  while (!page.done) {
    const records = page.value.map(exportRecord);
    const chunk = format === 'csv' ? csvRows(records) : jsonLines(records);
    if (chunk) yield chunk;
    page = await iterator.next();
  }
}
