import {
  CurrencyCodeSchema,
  MAX_FIELD_TEXT_CHARS,
  MAX_LINE_ITEMS,
  ReceiptFieldsSchema,
  type LineItem,
  type Money,
  type MoneyField,
  type PaymentMethod,
  type PaymentMethodField,
  type ReceiptFields,
} from '../domain/receipt-fields.js';
import { ValidationError } from '../errors.js';
import { locateDate, locateTotal, printedAmounts, type Located, type PrintedAmount } from './extract-fields.js';
import { readDate, type DateOrder } from './read-date.js';

/** How fields are read where the receipt itself does not say. */
export interface FieldExtractionOptions {
  /**
   * ISO 4217 code of amounts printed with no currency mark (or only "$"); default USD. A mark
   * the receipt prints wins ("RM 12.50" is MYR).
   */
  defaultCurrency?: string;
  /**
   * How a numeric date like 05/01/2018 is read; default: month first for USD receipts, day
   * first for every other currency. The other order is used only when this one gives no date.
   */
  dateOrder?: DateOrder;
}

/** A line of the receipt as extraction sees it: its id (for provenance) and its text. */
export interface FieldLine {
  line_id: number;
  text: string;
}

/** Marks printed before or after an amount, and the currency each means. */
const CURRENCY_MARKS: readonly [RegExp, string | 'DOLLAR'][] = [
  [/\bRM(?![A-Za-z])/i, 'MYR'],
  [/\bS\$/i, 'SGD'],
  [/\bUS\$/i, 'USD'],
  [/\bA\$/i, 'AUD'],
  [/\bC\$/i, 'CAD'],
  [/\bHK\$/i, 'HKD'],
  [/\bNZ\$/i, 'NZD'],
  [/€/, 'EUR'],
  [/£/, 'GBP'],
  [/₹/, 'INR'],
  [/\$/, 'DOLLAR'],
];
/** Currencies "$" can mean; a bare "$" is the default currency when that is one of them, else USD. */
const DOLLARS = new Set(['USD', 'SGD', 'AUD', 'CAD', 'HKD', 'NZD', 'TWD', 'MXN']);
/** An ISO code printed right against an amount ("MYR 12.50", "12.50 EUR"). */
const CODE_BEFORE = /\b([A-Z]{3})\s*$/;
const CODE_AFTER = /^\s*([A-Z]{3})\b/;

const SUBTOTAL = /\bSUB\s*-?\s*TOTAL\b/i;
const TAX = /\b(?:[GBC6][S5][T7]|SST|VAT|TAX|SALES\s*TAX|SERVICE\s*TAX)\b/i;
/** Lines that state a tax rate or base, or the total including tax, are not the tax amount. */
const NOT_TAX = /\b(?:INCL(?:USIVE|UDING|\.)?|EXCL(?:USIVE|UDING|\.)?|REG(?:ISTRATION)?|ID|NO\b|SUMMARY|CODE)/i;
const TAX_SUMMARY = /\b(?:[GBC6][S5][T7]|SST|TAX)\s*SU[MN]+AR[YV]|\bTAX\s*CODE\b|\bTAXCODE\b/i;
const TOTALISH = /\b(?:SUB\s*-?\s*TOTAL|TOTAL|AMOUNT\s*DUE|BALANCE\s*DUE|NETT?\s*(?:TOTAL|AMOUNT))\b/i;
/** Lines in the items region that are not items: money handed over, discounts, rounding, tax. */
const NOT_ITEM =
  /\b(?:CASH|CHANGE|TENDER(?:ED)?|PAID|PAYMENT|BALANCE|ROUNDING|ROUND\s*ADJ|DISCOUNT|SAVINGS?|VISA|MASTER\s*CARD|DEBIT|CREDIT|TEL|PHONE|FAX|INVOICE|INV\b|RECEIPT\s*NO|[GBC6][S5][T7]|SST|VAT|TAX)\b/i;
/** A column heading row ("QTY DESCRIPTION PRICE AMOUNT"): items start below it. */
const ITEM_HEADING = /\b(?:QTY|QUANTITY|DESCRIPTION|ITEM\s*(?:NAME|DESC)?|PRICE|AMOUNT|AMT)\b/i;

const PAYMENT: readonly [RegExp, PaymentMethod][] = [
  [
    /\b(?:VISA|MASTER\s*CARD|MASTERCARD|AMEX|AMERICAN\s*EXPRESS|MAESTRO|UNIONPAY|JCB|DEBIT|CREDIT\s*CARD|CARD)\b/i,
    'card',
  ],
  [
    /\b(?:GRAB\s*PAY|BOOST|TOUCH\s*['N&]*\s*GO|TNG|E-?WALLET|APPLE\s*PAY|GOOGLE\s*PAY|ALIPAY|WECHAT\s*PAY|PAYPAL|DUITNOW|QR\s*PAY)\b/i,
    'mobile',
  ],
  [/\b(?:VOUCHER|GIFT\s*CARD|COUPON)\b/i, 'voucher'],
  [/\bCASH\b/i, 'cash'],
];

/**
 * A receipt's fields from its lines (top to bottom): date, total, subtotal, tax, payment method
 * and line items, each with the `line_id`s it was read from and `source: 'extracted'`. This is
 * the one extraction: the results step stores it on the receipt and `pnpm eval` scores the
 * stored fields. The date and total are found as SROIE scoring measured ({@link locateDate},
 * {@link locateTotal}); dates are read with date-fns ({@link readDate}); amounts become integer
 * minor units of the receipt's currency. The result is validated against the domain schema.
 *
 * @example
 * const fields = extractReceiptFields([
 *   { line_id: 1, text: 'DATE 03/14/2024' },
 *   { line_id: 2, text: 'COFFEE 4.50' },
 *   { line_id: 3, text: 'TOTAL 4.50' },
 * ]);
 * fields.date; // { value: '2024-03-14', text: '03/14/2024', line_ids: [1], source: 'extracted' }
 * fields.total; // { minor: 450, currency: 'USD', text: '4.50', line_ids: [3], source: 'extracted' }
 */
export function extractReceiptFields(lines: readonly FieldLine[], options: FieldExtractionOptions = {}): ReceiptFields {
  const texts = lines.map((l) => l.text);
  const currency = receiptCurrency(texts, options.defaultCurrency ?? 'USD');
  const order = options.dateOrder ?? (currency === 'USD' ? 'MDY' : 'DMY');
  const idOf = (index: number) => lines[index]!.line_id;

  const date = locateDate(texts);
  const total = locateTotal(texts);
  const summary = texts.findIndex((t) => TAX_SUMMARY.test(t));
  const body = summary >= 0 ? summary : texts.length;
  const items = lineItems(lines, currency, date?.index ?? -1, body);
  const fields: ReceiptFields = {
    date: date
      ? {
          value: readDate(date.value, order),
          text: cut(date.value),
          line_ids: [idOf(date.index)],
          source: 'extracted',
        }
      : null,
    total: total ? moneyField(total, texts, currency, idOf) : null,
    subtotal: lastAmountOn(texts, body, (t) => SUBTOTAL.test(t), currency, idOf),
    tax: lastAmountOn(
      texts,
      body,
      (t) => TAX.test(t) && !NOT_TAX.test(t) && !(TOTALISH.test(t) && !/\bTOTAL\s*(?:GST|TAX|SST|VAT)\b/i.test(t)),
      currency,
      idOf,
    ),
    payment_method: paymentMethod(texts, total?.index ?? Math.floor(texts.length / 2), idOf),
    line_items: items.slice(0, MAX_LINE_ITEMS),
    ...(items.length > MAX_LINE_ITEMS ? { line_items_truncated: true as const } : {}),
  };
  const parsed = ReceiptFieldsSchema.safeParse(fields);
  if (!parsed.success) {
    // A bug here, not bad input: extraction builds every value itself.
    throw new ValidationError(
      'extracted receipt fields are invalid',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  }
  return parsed.data;
}

/**
 * The receipt's currency: the first mark printed against an amount (RM, S$, €, an ISO code),
 * else the first mark anywhere ("Amt (RM)"), else the default.
 */
export function receiptCurrency(lines: readonly string[], defaultCurrency: string): string {
  const fallback = CurrencyCodeSchema.parse(defaultCurrency);
  let anywhere: string | null = null;
  for (const line of lines) {
    for (const amount of printedAmounts(line)) {
      const mark = currencyAround(line, amount, fallback);
      if (mark) return mark;
    }
    anywhere ??= markIn(line, fallback);
  }
  return anywhere ?? fallback;
}

function currencyAround(line: string, amount: PrintedAmount, fallback: string): string | null {
  const fromText = markIn(amount.text, fallback);
  if (fromText) return fromText;
  const before = CODE_BEFORE.exec(line.slice(0, amount.at))?.[1];
  const after = CODE_AFTER.exec(line.slice(amount.at + amount.text.length))?.[1];
  for (const code of [before, after]) if (code && CurrencyCodeSchema.safeParse(code).success) return code;
  return null;
}

function markIn(text: string, fallback: string): string | null {
  for (const [pattern, currency] of CURRENCY_MARKS) {
    if (!pattern.test(text)) continue;
    return currency === 'DOLLAR' ? (DOLLARS.has(fallback) ? fallback : 'USD') : currency;
  }
  return null;
}

/** Minor units of a printed amount ("1,234.50") in `currency`, exact (no floating point). */
export function toMinor(value: string, currency: string): number {
  const [whole = '0', fraction = ''] = value.replace(/[^\d.]/g, '').split('.');
  const digits = minorDigits(currency);
  const frac = fraction.padEnd(digits, '0');
  // Decimals beyond the currency's (rare: 2 printed for a 0-decimal currency) are rounded half up.
  const kept = Number(`${whole}${frac.slice(0, digits)}`);
  return frac.length > digits && Number(frac[digits]) >= 5 ? kept + 1 : kept;
}

const DIGITS = new Map<string, number>();
/** Decimals of the currency's minor unit (ISO 4217, from the runtime's ICU): 2 for MYR, 0 for JPY. */
export function minorDigits(currency: string): number {
  let digits = DIGITS.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    DIGITS.set(currency, digits);
  }
  return digits;
}

function money(amount: PrintedAmount, currency: string): Money {
  return { minor: toMinor(amount.value, currency), currency };
}

function moneyField(
  found: Located,
  texts: readonly string[],
  currency: string,
  idOf: (i: number) => number,
): MoneyField {
  const text = found.text ?? found.value;
  return {
    minor: toMinor(found.value, currency),
    currency: currencyOfText(texts[found.index] ?? '', text, currency),
    text: cut(text),
    line_ids: [idOf(found.index)],
    source: 'extracted',
  };
}

/** The currency marked on this amount itself, else the receipt's. */
function currencyOfText(line: string, text: string, currency: string): string {
  const amount = printedAmounts(line).find((a) => a.text === text);
  return (amount && currencyAround(line, amount, currency)) ?? currency;
}

/** The last amount on the last line (before the tax summary) that `matches`; or on the line after. */
function lastAmountOn(
  texts: readonly string[],
  body: number,
  matches: (text: string) => boolean,
  currency: string,
  idOf: (i: number) => number,
): MoneyField | null {
  for (let i = body - 1; i >= 0; i--) {
    if (!matches(texts[i]!)) continue;
    const here = printedAmounts(texts[i]!);
    if (here.length > 0) return moneyField({ ...pick(here[here.length - 1]!), index: i }, texts, currency, idOf);
    const next = printedAmounts(texts[i + 1] ?? '');
    if (next.length > 0 && i + 1 < body) return moneyField({ ...pick(next[0]!), index: i + 1 }, texts, currency, idOf);
  }
  return null;
}

const pick = (a: PrintedAmount) => ({ value: a.value, text: a.text });

/** The payment named at or below the total line (a shop called "CASH & CARRY" is above it). */
function paymentMethod(texts: readonly string[], from: number, idOf: (i: number) => number): PaymentMethodField | null {
  for (let i = Math.max(0, from); i < texts.length; i++) {
    const text = texts[i]!;
    for (const [pattern, value] of PAYMENT) {
      const match = pattern.exec(text);
      if (match) return { value, text: cut(match[0]), line_ids: [idOf(i)], source: 'extracted' };
    }
  }
  return null;
}

/**
 * Line items, best effort: between the date (or a column heading) and the first total-like
 * line, each line that ends in an amount and has a description. A description printed alone
 * on the line above its amounts ("NASI LEMAK" / "2 x 3.50 7.00") is joined to them. A
 * quantity is taken only when printed ("2 x", "2 @", or a count that times the unit price
 * gives the amount).
 */
function lineItems(lines: readonly FieldLine[], currency: string, dateIndex: number, body: number): LineItem[] {
  const texts = lines.map((l) => l.text);
  const end = texts.findIndex((t, i) => i < body && TOTALISH.test(t));
  const stop = end >= 0 ? end : body;
  let start = dateIndex >= 0 && dateIndex < stop ? dateIndex + 1 : 0;
  for (let i = start; i < stop; i++)
    if (ITEM_HEADING.test(texts[i]!) && printedAmounts(texts[i]!).length === 0) start = i + 1;

  const items: LineItem[] = [];
  let pending: FieldLine | null = null;
  for (let i = start; i < stop; i++) {
    const line = lines[i]!;
    if (NOT_ITEM.test(line.text)) {
      pending = null;
      continue;
    }
    const found = printedAmounts(line.text);
    if (found.length === 0) {
      pending = /[A-Za-z]{2,}/.test(line.text) ? line : null;
      continue;
    }
    const item = lineItem(line, found, currency, pending);
    if (item) items.push(item);
    pending = null;
  }
  return items;
}

function lineItem(
  line: FieldLine,
  found: PrintedAmount[],
  currency: string,
  pending: FieldLine | null,
): LineItem | null {
  const amount = money(found[found.length - 1]!, currency);
  const unit = found.length >= 2 ? money(found[found.length - 2]!, currency) : null;
  let before = line.text.slice(0, found[0]!.at).trim();
  let quantity: number | null = null;
  // "2 x 3.50", "2 @ 3.50", "2X": a count printed with its sign.
  const marked = /(?:^|\s)(\d{1,3})\s*[xX@*]\s*$/.exec(before) ?? /^(\d{1,3})\s*[xX@*]\s+/.exec(before);
  if (marked) {
    quantity = Number(marked[1]);
    before = before.replace(marked[0], ' ').trim();
  } else if (unit) {
    // "MILO 2 3.50 7.00": a count whose product with the unit price is the amount.
    const count = /(?:^|\s)(\d{1,3})$/.exec(before) ?? /^(\d{1,3})\s/.exec(before);
    if (count && Number(count[1]) * unit.minor === amount.minor) {
      quantity = Number(count[1]);
      before = before.replace(count[0], ' ').trim();
    }
  }
  const ownDescription = /[A-Za-z]{2,}/.test(before);
  const description = ownDescription ? before : pending?.text.trim();
  if (!description) return null;
  const unitPrice = unit && (quantity === null || quantity * unit.minor === amount.minor) ? unit : null;
  return {
    description: cut(description),
    quantity,
    unit_price: unitPrice,
    amount,
    line_ids: ownDescription || !pending ? [line.line_id] : [pending.line_id, line.line_id],
    source: 'extracted',
  };
}

function cut(text: string): string {
  return text.length > MAX_FIELD_TEXT_CHARS ? text.slice(0, MAX_FIELD_TEXT_CHARS) : text;
}
