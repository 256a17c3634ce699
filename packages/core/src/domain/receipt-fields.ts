import * as z from 'zod';
import { schema } from '../schema.js';

/**
 * The fields of one receipt, stored on its receipt row (`Receipt.fields`): what a person reads,
 * filters and exports. Every field names the lines it was read from (`line_ids`, the receipt's
 * own `ReceiptLine.line_id`s) so that a console can highlight them, and whose it is
 * (`source`): `extracted` by the results step, or `user` once a person corrected it. Reprocessing
 * replaces extracted fields and never a user's ({@link mergeReceiptFields}).
 *
 * The merchant is not repeated here: it is the receipt's {@link ReceiptPlace} row (place_id,
 * source, confidence, evidence), which the stream processor already follows into the vector
 * index when it changes. Shapes and bounds: docs/fields.md.
 */

/** Who a field's value is from: the results step's extraction, or a person's correction. */
export const FieldSourceSchema = /* @__PURE__ */ schema(() => z.enum(['extracted', 'user']));
export type FieldSource = z.infer<typeof FieldSourceSchema>;

/**
 * Bounds that keep the receipt row small (a DynamoDB item is 400 KB at most, and the row is read
 * with every receipt): text as printed is cut to {@link MAX_FIELD_TEXT_CHARS}, a field names at
 * most {@link MAX_FIELD_LINE_IDS} lines, and at most {@link MAX_LINE_ITEMS} line items are kept
 * (`line_items_truncated` says when there were more). Worst case about 89 KB of JSON
 * (docs/fields.md#size-on-dynamodb); a receipt with a dozen items has a few KB.
 */
export const MAX_FIELD_TEXT_CHARS = 200;
export const MAX_FIELD_LINE_IDS = 8;
export const MAX_LINE_ITEMS = 200;

const LineIdsSchema = /* @__PURE__ */ schema(() => z.array(z.number().int().positive()).max(MAX_FIELD_LINE_IDS));

/** What every field carries besides its value: the text as printed, its lines, and whose it is. */
const provenance = /* @__PURE__ */ schema(() => ({
  /** As printed (OCR's reading), at most MAX_FIELD_TEXT_CHARS; empty for a value a person typed. */
  text: z.string().max(MAX_FIELD_TEXT_CHARS),
  line_ids: LineIdsSchema,
  source: FieldSourceSchema,
}));

/** A calendar date, YYYY-MM-DD, that exists (no 31 February). */
export const IsoDateSchema = /* @__PURE__ */ schema(() =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .refine((s) => {
      const d = new Date(`${s}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
    }, 'must be a real calendar date'),
);

/** Codes the runtime's ICU knows as currencies (ISO 4217), e.g. MYR, USD, EUR, JPY. */
const ISO_CURRENCIES: ReadonlySet<string> = /* @__PURE__ */ schema(() => new Set(Intl.supportedValuesOf('currency')));

export const CurrencyCodeSchema = /* @__PURE__ */ schema(() =>
  z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be three capital letters')
    .refine((code) => ISO_CURRENCIES.has(code), 'must be an ISO 4217 currency code'),
);

/**
 * An amount in the currency's minor unit (cents for USD, sen for MYR, yen for JPY: as many
 * decimals as ISO 4217 gives the currency), so sums and filters are exact integer arithmetic.
 */
export const MoneySchema = /* @__PURE__ */ schema(() =>
  z.object({
    minor: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
    currency: CurrencyCodeSchema,
  }),
);
export type Money = z.infer<typeof MoneySchema>;

export const DateFieldSchema = /* @__PURE__ */ schema(() =>
  z.object({
    /** The date read from `text`; null when the printed text cannot be read as one date. */
    value: IsoDateSchema.nullable(),
    ...provenance,
  }),
);
export type DateField = z.infer<typeof DateFieldSchema>;

export const MoneyFieldSchema = /* @__PURE__ */ schema(() => MoneySchema.extend(provenance));
export type MoneyField = z.infer<typeof MoneyFieldSchema>;

/** How the receipt was paid, as far as the print says: a card scheme, cash, a mobile wallet. */
export const PaymentMethodSchema = /* @__PURE__ */ schema(() => z.enum(['cash', 'card', 'mobile', 'voucher', 'other']));
export type PaymentMethod = z.infer<typeof PaymentMethodSchema>;

export const PaymentMethodFieldSchema = /* @__PURE__ */ schema(() =>
  z.object({ value: PaymentMethodSchema, ...provenance }),
);
export type PaymentMethodField = z.infer<typeof PaymentMethodFieldSchema>;

/**
 * One purchased item, best effort: quantity and unit price only when printed. An extracted item
 * names at least one line; an item a person typed (`source: 'user'`) names none.
 */
export const LineItemSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      description: z.string().min(1).max(MAX_FIELD_TEXT_CHARS),
      quantity: z.number().positive().finite().nullable(),
      unit_price: MoneySchema.nullable(),
      amount: MoneySchema,
      line_ids: LineIdsSchema,
      source: FieldSourceSchema,
    })
    .refine((item) => item.source === 'user' || item.line_ids.length > 0, {
      message: 'an extracted line item names at least one line',
      path: ['line_ids'],
    }),
);
export type LineItem = z.infer<typeof LineItemSchema>;

/** A receipt's fields. A field not printed (or not found) is null, never a guess. */
export const ReceiptFieldsSchema = /* @__PURE__ */ schema(() =>
  z.object({
    date: DateFieldSchema.nullable(),
    total: MoneyFieldSchema.nullable(),
    subtotal: MoneyFieldSchema.nullable(),
    tax: MoneyFieldSchema.nullable(),
    payment_method: PaymentMethodFieldSchema.nullable(),
    line_items: z.array(LineItemSchema).max(MAX_LINE_ITEMS),
    /** Present when the receipt printed more than MAX_LINE_ITEMS items; the first ones are kept. */
    line_items_truncated: z.literal(true).optional(),
  }),
);
export type ReceiptFields = z.infer<typeof ReceiptFieldsSchema>;

/** The single-valued fields (everything but the line items), the ones a person corrects one by one. */
export const SINGLE_FIELDS = ['date', 'total', 'subtotal', 'tax', 'payment_method'] as const;
export type SingleFieldName = (typeof SINGLE_FIELDS)[number];

/**
 * The fields a reprocessing stores: what extraction found now, except that every field a person
 * set (`source: 'user'`) in `stored` is kept as it is. Line items are kept whole when any of them
 * is the user's.
 *
 * @example
 * const next = mergeReceiptFields(receipt.fields, extractReceiptFields(lines));
 * // receipt.fields.date was corrected by the user: next.date is still that correction.
 */
export function mergeReceiptFields(stored: ReceiptFields | undefined, extracted: ReceiptFields): ReceiptFields {
  if (!stored) return extracted;
  const merged: ReceiptFields = { ...extracted };
  for (const name of SINGLE_FIELDS) {
    if (stored[name]?.source === 'user') (merged as Record<SingleFieldName, unknown>)[name] = stored[name];
  }
  if (stored.line_items.some((item) => item.source === 'user')) {
    merged.line_items = stored.line_items;
    if (stored.line_items_truncated) merged.line_items_truncated = true;
    else delete merged.line_items_truncated;
  }
  return merged;
}
