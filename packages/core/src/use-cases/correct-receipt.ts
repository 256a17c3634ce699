import * as z from 'zod';
import { schema } from '../schema.js';
import {
  CurrencyCodeSchema,
  IsoDateSchema,
  MAX_FIELD_TEXT_CHARS,
  MAX_LINE_ITEMS,
  PaymentMethodSchema,
  ownerOf,
  receiptFingerprint,
  type LineItem,
  type Money,
  type MoneyField,
  type Receipt,
  type ReceiptFields,
  type ReceiptPlace,
  type SingleFieldName,
} from '../domain/index.js';
import { NotFoundError, ValidationError } from '../errors.js';
import {
  isoNow,
  silentLogger,
  type Clock,
  type Logger,
  type PlacesResolver,
  type ReceiptStore,
} from '../ports/index.js';
import { flagPossibleDuplicate } from './possible-duplicate.js';

/** An amount as a person corrects it: minor units; the currency defaults to the receipt's. */
const MoneyPatchSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      minor: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
      currency: CurrencyCodeSchema.optional(),
    })
    .strict(),
);

/**
 * A person's correction of one receipt: the merchant (a known `place_id`) and/or single fields.
 * Unknown keys are refused, so a typo never passes silently as "nothing to change".
 */
/**
 * A line item as a person types it: description and amount, quantity and unit price when known.
 * Amounts as {@link MoneyPatchSchema}.
 */
const LineItemPatchSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      description: z.string().trim().min(1).max(MAX_FIELD_TEXT_CHARS),
      quantity: z.number().positive().finite().nullable().optional(),
      unit_price: MoneyPatchSchema.nullable().optional(),
      amount: MoneyPatchSchema,
    })
    .strict(),
);

export const ReceiptPatchSchema = /* @__PURE__ */ schema(() =>
  z
    .object({
      merchant: z
        .object({ place_id: z.string().min(1).max(512) })
        .strict()
        .optional(),
      fields: z
        .object({
          date: IsoDateSchema.optional(),
          total: MoneyPatchSchema.optional(),
          subtotal: MoneyPatchSchema.optional(),
          tax: MoneyPatchSchema.optional(),
          payment_method: PaymentMethodSchema.optional(),
          /**
           * The receipt's items, all of them (the list replaces the stored one). At least one: an
           * empty list could not be told apart from "none extracted", so reprocessing would refill it.
           */
          line_items: z.array(LineItemPatchSchema).min(1).max(MAX_LINE_ITEMS).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);
export type ReceiptPatch = z.infer<typeof ReceiptPatchSchema>;

export interface CorrectReceiptDeps {
  receipts: ReceiptStore;
  /** Asked for a place none of the owner's receipts knows (the cached resolver: one call per place). */
  places: Pick<PlacesResolver, 'getPlace'>;
  clock: Clock;
  logger?: Logger;
}

export interface CorrectReceiptResult {
  /** The receipt row afterwards, with its fields and duplicate flag. */
  receipt: Receipt;
  merchant: ReceiptPlace | null;
}

/**
 * A person corrects one of their receipts. Everything corrected is stored as the user's
 * (`source: 'user'`), and reprocessing (a redelivered OCR-results message, the sweep) never
 * replaces it: {@link mergeReceiptFields} keeps user fields, and the results step keeps a decided
 * place.
 *
 * - `merchant: { place_id }` writes the receipt's ReceiptPlace with `source: 'user'`, copying
 *   name, address and phone from one of the owner's receipts already resolved to that place, or,
 *   when none is (a shop the person never bought from, picked from `GET /places`), from the
 *   Places service's answer for that id (`places.getPlace`). Other owners' receipts are never
 *   read for it. The change reaches the vector index the way every place change does: the stream
 *   processor routes the place MODIFY to `update_metadata`, and compaction applies it. A
 *   `place_id` neither the owner's receipts nor the Places service knows is refused
 *   (ValidationError naming `merchant.place_id`): there would be no name or address to show or to
 *   put on the vectors (docs/architecture.md#corrections-and-deletes). A Places failure
 *   propagates (DependencyError; transient ones are retryable).
 * - `fields` sets `date` (YYYY-MM-DD), `total`/`subtotal`/`tax` (`{ minor, currency? }`, the
 *   currency defaulting to the receipt's) and `payment_method`, each with empty `text` and
 *   `line_ids` (a person typed it). `line_items` (`[{ description, quantity?, unit_price?,
 *   amount }]`, at least one) replaces the receipt's items with the user's, which reprocessing
 *   keeps whole. Bad values are ValidationError naming the field.
 *
 * The duplicate flag is re-evaluated afterwards ({@link flagPossibleDuplicate}). Another owner's
 * receipt, or none, is NotFoundError. Writes only what changes.
 *
 * @example
 * await correctReceipt(deps, 'alice', imageId, 1, {
 *   merchant: { place_id: 'ChIJ-blue-bottle' }, // known to alice's receipts, or to Places
 *   fields: { date: '2024-03-09', total: { minor: 1250, currency: 'USD' } },
 * });
 */
export async function correctReceipt(
  deps: CorrectReceiptDeps,
  owner: string,
  imageId: string,
  receiptId: number,
  patch: unknown,
): Promise<CorrectReceiptResult> {
  const parsed = parsePatch(patch);
  const details = await deps.receipts.get(imageId, receiptId);
  if (!details || ownerOf(details.receipt) !== owner) throw new NotFoundError('receipt', `${imageId}/${receiptId}`);
  const now = isoNow(deps.clock);
  const stored = await deps.receipts.getPlace(imageId, receiptId);
  const before = receiptFingerprint(stored?.place_id, details.receipt.fields);

  let place = stored;
  if (parsed.merchant) {
    place = await userPlace(deps, owner, details.receipt, stored, parsed.merchant.place_id, now);
    if (!samePlace(stored, place)) await deps.receipts.putPlace(place);
  }

  let receipt = details.receipt;
  if (parsed.fields) {
    const fields = correctedFields(receipt.fields, parsed.fields);
    await deps.receipts.putFields(imageId, receiptId, fields);
    receipt = { ...receipt, fields };
  }

  const flag = await flagPossibleDuplicate(deps, receipt, place, before);
  const { possible_duplicate_of: _old, ...rest } = receipt;
  receipt = flag ? { ...rest, possible_duplicate_of: flag } : rest;
  (deps.logger ?? silentLogger).info('receipt corrected', {
    image_id: imageId,
    receipt_id: receiptId,
    merchant: parsed.merchant !== undefined,
    fields: Object.keys(parsed.fields ?? {}),
  });
  return { receipt, merchant: place };
}

function parsePatch(patch: unknown): ReceiptPatch {
  const result = ReceiptPatchSchema.safeParse(patch);
  if (!result.success) {
    throw new ValidationError(
      'invalid receipt correction',
      result.error.issues.map((i) => {
        const path = i.path.join('.');
        // An unknown key's own name is the parameter to name, not its parent's.
        const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => (path ? `${path}.${k}` : k)).join(', ') : '';
        return `${keys || path || '(root)'}: ${i.message}`;
      }),
    );
  }
  const data = result.data;
  const empty = !data.merchant && (!data.fields || Object.keys(data.fields).length === 0);
  if (empty)
    throw new ValidationError('invalid receipt correction', ['(root): names nothing to correct (merchant or fields)']);
  return data;
}

/** Receipts resolved to a place read to find one of the owner's (each is one `get` to learn its owner). */
const OWNED_PLACE_SCAN = 10;

/** The user's place: the place's merchant as the owner's receipts or the Places service know it, decided by a person. */
async function userPlace(
  deps: CorrectReceiptDeps,
  owner: string,
  receipt: Receipt,
  stored: ReceiptPlace | null,
  placeId: string,
  now: string,
): Promise<ReceiptPlace> {
  const known = await ownedPlace(deps.receipts, owner, placeId, receipt);
  let merchant = known && { name: known.merchant_name, address: known.address, phone: known.phone };
  if (!merchant) {
    const found = await deps.places.getPlace(placeId);
    // The service answers for the id asked; anything else is not the place the person picked.
    if (found?.place_id === placeId) {
      merchant = { name: found.name || null, address: found.formatted_address, phone: found.phone };
    }
  }
  if (!merchant) {
    throw new ValidationError('invalid receipt correction', [
      `merchant.place_id: neither your receipts nor the Places service know place ${placeId}; choose a place from GET /places`,
    ]);
  }
  return {
    image_id: receipt.image_id,
    receipt_id: receipt.receipt_id,
    merchant_name: merchant.name,
    place_id: placeId,
    address: merchant.address,
    phone: merchant.phone,
    confidence: 1,
    source: 'user',
    evidence: ['user'],
    created_at: stored?.created_at ?? now,
  };
}

/**
 * A place row of one of the owner's receipts resolved to `placeId`: the receipt being corrected
 * (no read to learn its owner), else the first of the place's receipts whose owner is `owner`. Bounded by
 * {@link OWNED_PLACE_SCAN}; past it the Places service answers instead.
 */
async function ownedPlace(
  receipts: ReceiptStore,
  owner: string,
  placeId: string,
  receipt: Receipt,
): Promise<ReceiptPlace | null> {
  for (const place of await receipts.listByPlaceId(placeId, OWNED_PLACE_SCAN)) {
    if (place.image_id === receipt.image_id && place.receipt_id === receipt.receipt_id) return place;
    const other = await receipts.get(place.image_id, place.receipt_id);
    if (other && ownerOf(other.receipt) === owner) return place;
  }
  return null;
}

function samePlace(a: ReceiptPlace | null, b: ReceiptPlace): boolean {
  return (
    a !== null &&
    a.source === b.source &&
    a.place_id === b.place_id &&
    a.merchant_name === b.merchant_name &&
    a.address === b.address &&
    a.phone === b.phone &&
    a.merchant_retry === undefined
  );
}

const NO_FIELDS: ReceiptFields = {
  date: null,
  total: null,
  subtotal: null,
  tax: null,
  payment_method: null,
  line_items: [],
};

/** The stored fields with the patch applied, each patched field the user's. */
function correctedFields(stored: ReceiptFields | undefined, patch: NonNullable<ReceiptPatch['fields']>): ReceiptFields {
  const base = stored ?? NO_FIELDS;
  const typed = { text: '', line_ids: [], source: 'user' as const };
  const next: ReceiptFields = { ...base };
  if (patch.date !== undefined) next.date = { value: patch.date, ...typed };
  if (patch.payment_method !== undefined) next.payment_method = { value: patch.payment_method, ...typed };
  for (const name of ['total', 'subtotal', 'tax'] as const satisfies readonly SingleFieldName[]) {
    const money = patch[name];
    if (money === undefined) continue;
    const currency = money.currency ?? base[name]?.currency ?? receiptCurrency(base);
    if (currency === null) {
      throw new ValidationError('invalid receipt correction', [
        `fields.${name}.currency: required, the receipt has no amount to take a currency from`,
      ]);
    }
    next[name] = { minor: money.minor, currency, ...typed } satisfies MoneyField;
  }
  if (patch.line_items !== undefined) {
    const fallback = receiptCurrency(next);
    const money = (m: z.infer<typeof MoneyPatchSchema>, path: string): Money => {
      const currency = m.currency ?? fallback;
      if (currency === null) {
        throw new ValidationError('invalid receipt correction', [
          `${path}.currency: required, the receipt has no amount to take a currency from`,
        ]);
      }
      return { minor: m.minor, currency };
    };
    next.line_items = patch.line_items.map((item, i): LineItem => ({
      description: item.description,
      quantity: item.quantity ?? null,
      unit_price: item.unit_price ? money(item.unit_price, `fields.line_items.${i}.unit_price`) : null,
      amount: money(item.amount, `fields.line_items.${i}.amount`),
      line_ids: [],
      source: 'user',
    }));
    // The person's list is the whole list.
    delete next.line_items_truncated;
  }
  return next;
}

function receiptCurrency(fields: ReceiptFields): string | null {
  return fields.total?.currency ?? fields.subtotal?.currency ?? fields.tax?.currency ?? null;
}
