import {
  CurrencyCodeSchema,
  IsoDateSchema,
  minorDigits,
  PaymentMethodSchema,
  SINGLE_FIELDS,
  type SingleFieldName,
  UsageError,
} from '@receiptflow/core';
import { parseFlags, type Print } from '../args.js';
import { UploadApiClient } from '../http-client.js';
import { API_FLAGS, parseReceiptRef, receiptPath, type ReceiptRef } from '../receipts-api.js';

const AMOUNT_FIELDS = new Set<SingleFieldName>(['total', 'subtotal', 'tax']);

/**
 * `receipts fix ID [--merchant PLACE_ID] [--field NAME=VALUE]... [--url URL] [--token T]`:
 * corrects a receipt (`PATCH /receipts/{image_id}/{receipt_id}`). A corrected value is the
 * user's: reprocessing never replaces it, and a new merchant follows into the vector index.
 * Fields: `date=YYYY-MM-DD`, `total=12.50` (in the receipt's currency) or `total=12.50 EUR`,
 * the same for `subtotal` and `tax`, and `payment_method=cash|card|mobile|voucher|other`.
 * `--item "DESCRIPTION=AMOUNT"` (or `"QTY x DESCRIPTION=AMOUNT"`), repeated, replaces the line
 * items with the person's list.
 */
export async function fixCommand(argv: string[], out: Print): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      ...API_FLAGS,
      merchant: { type: 'string' },
      field: { type: 'string', multiple: true },
      item: { type: 'string', multiple: true },
    },
    true,
  );
  if (positionals.length > 1) throw new UsageError('fix takes one ID');
  const ref = parseReceiptRef(positionals[0], 'fix');
  const assignments = (values.field ?? []).map(parseAssignment);
  const items = (values.item ?? []).map(parseItem);
  if (values.merchant === undefined && assignments.length === 0 && items.length === 0) {
    throw new UsageError('fix needs --merchant PLACE_ID, --field NAME=VALUE or --item "DESCRIPTION=AMOUNT"');
  }
  if (values.merchant !== undefined && values.merchant.trim() === '')
    throw new UsageError('--merchant needs a place_id');
  const client = new UploadApiClient(values.url, values.token);
  const fields: Record<string, unknown> = {};
  let currency: string | null | undefined;
  for (const { name, value } of assignments) {
    if (AMOUNT_FIELDS.has(name) && !/[A-Za-z]/.test(value)) currency ??= await storedCurrency(client, ref);
    fields[name] = fieldValue(name, value, currency ?? null);
  }
  if (items.length > 0) {
    if (items.some((i) => !/[A-Za-z]/.test(i.amount))) currency ??= await storedCurrency(client, ref);
    fields.line_items = items.map((i) => ({
      description: i.description,
      quantity: i.quantity,
      amount: parseAmount('item', i.amount, currency ?? null, '--item'),
    }));
  }
  const patch = {
    ...(values.merchant === undefined ? {} : { merchant: { place_id: values.merchant } }),
    ...(Object.keys(fields).length === 0 ? {} : { fields }),
  };
  await client.request('PATCH', receiptPath(ref), JSON.stringify(patch), 'application/json');
  const changed = [
    ...(values.merchant === undefined ? [] : [`merchant=${values.merchant}`]),
    ...assignments.map((a) => `${a.name}=${a.value}`),
    ...(items.length === 0 ? [] : [`${items.length} item${items.length === 1 ? '' : 's'}`]),
  ];
  out(`corrected ${ref.imageId}/${ref.receiptId}: ${changed.join(', ')}`);
  return 0;
}

function parseAssignment(text: string): { name: SingleFieldName; value: string } {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !(SINGLE_FIELDS as readonly string[]).includes(name)) {
    throw new UsageError(`--field must be NAME=VALUE with NAME one of ${SINGLE_FIELDS.join(', ')}, got "${text}"`);
  }
  const value = text.slice(eq + 1).trim();
  if (AMOUNT_FIELDS.has(name as SingleFieldName)) amountSyntax(value, `--field ${name}`);
  return { name: name as SingleFieldName, value };
}

/**
 * One line item as typed: `DESCRIPTION=AMOUNT`, optionally `QTY x DESCRIPTION=AMOUNT`
 * ("2 x Oat milk=4.98"); the amount as a field's ("4.98", "4.98 EUR"). The last `=` splits, so a
 * description may hold one.
 */
export function parseItem(text: string): { description: string; quantity: number | null; amount: string } {
  const eq = text.lastIndexOf('=');
  const left = eq < 0 ? '' : text.slice(0, eq).trim();
  const amount = eq < 0 ? '' : text.slice(eq + 1).trim();
  const qty = /^(\d+(?:\.\d+)?)\s*[xX×]\s+(.+)$/.exec(left);
  const description = (qty ? qty[2]! : left).trim();
  if (description === '' || amount === '') {
    throw new UsageError(`--item must be "DESCRIPTION=AMOUNT" or "QTY x DESCRIPTION=AMOUNT", got "${text}"`);
  }
  amountSyntax(amount, '--item');
  const quantity = qty ? Number(qty[1]) : null;
  if (quantity !== null && !(quantity > 0)) throw new UsageError(`--item quantity must be above 0, got "${text}"`);
  return { description, quantity, amount };
}

/** The patch value of one field, from what the person typed. */
function fieldValue(name: SingleFieldName, value: string, currency: string | null): unknown {
  if (name === 'date') {
    if (!IsoDateSchema.safeParse(value).success)
      throw new UsageError(`--field date must be YYYY-MM-DD, got "${value}"`);
    return value;
  }
  if (name === 'payment_method') {
    const parsed = PaymentMethodSchema.safeParse(value);
    if (!parsed.success) {
      throw new UsageError(
        `--field payment_method must be one of ${PaymentMethodSchema.options.join(', ')}, got "${value}"`,
      );
    }
    return parsed.data;
  }
  return parseAmount(name, value, currency);
}

/**
 * "12.50", "12.50 EUR" or "-4.20" as exact minor units. More decimals than the currency has
 * (12.345 USD) is refused, not rounded: a correction is what the person means, to the cent.
 */
export function parseAmount(
  name: string,
  value: string,
  fallbackCurrency: string | null,
  flag = `--field ${name}`,
): { minor: number; currency: string } {
  const m = amountSyntax(value, flag);
  const currency = m[4]?.toUpperCase() ?? fallbackCurrency;
  if (!currency) {
    throw new UsageError(`${flag}: the receipt has no currency yet; write it after the amount, e.g. "${value} USD"`);
  }
  if (!CurrencyCodeSchema.safeParse(currency).success) {
    throw new UsageError(`${flag}: "${currency}" is not an ISO 4217 currency code`);
  }
  const digits = minorDigits(currency);
  const fraction = m[3] ?? '';
  if (fraction.length > digits) {
    throw new UsageError(`${flag}: ${currency} has ${digits} decimals, got "${value}"`);
  }
  const minor = Number(`${m[2]}${fraction.padEnd(digits, '0')}`) * (m[1] ? -1 : 1);
  if (!Number.isSafeInteger(minor)) throw new UsageError(`${flag}: "${value}" is too large`);
  return { minor, currency };
}

/** An amount's parts, or a UsageError: checked before any request, so a typo never costs one. */
function amountSyntax(value: string, flag: string): RegExpExecArray {
  const m = /^(-?)(\d+)(?:\.(\d+))?\s*([A-Za-z]{3})?$/.exec(value);
  if (!m) throw new UsageError(`${flag} must be an amount like 12.50 or "12.50 EUR", got "${value}"`);
  return m;
}

/** The currency the receipt's amounts are in, for a correction typed without one. */
async function storedCurrency(client: UploadApiClient, ref: ReceiptRef): Promise<string | null> {
  const view = (await client.request('GET', receiptPath(ref))) as {
    receipt: { fields?: Partial<Record<'total' | 'subtotal' | 'tax', { currency: string } | null>> };
  };
  const f = view.receipt.fields;
  return f?.total?.currency ?? f?.subtotal?.currency ?? f?.tax?.currency ?? null;
}
