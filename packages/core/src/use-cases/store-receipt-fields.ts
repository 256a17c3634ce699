import { inReadingOrder, mergeReceiptFields, type ReceiptDetails, type ReceiptFields } from '../domain/index.js';
import { NotFoundError } from '../errors.js';
import { extractReceiptFields, type FieldExtractionOptions } from '../extraction/index.js';
import type { ReceiptStore } from '../ports/index.js';

/**
 * Creates a receipt with its fields extracted from its lines, in the one write `create` makes.
 * When the receipt was stored already (a redelivery), the fields are extracted again from the
 * STORED lines (stored rows win: docs/lessons.md#lesson-6-a-redelivery-overwrote-enriched-rows)
 * and merged with the stored fields, every field a person corrected kept
 * ({@link mergeReceiptFields}); they are written only when that changes them (a receipt stored
 * before fields existed gets them here). A receipt deleted meanwhile is not brought back.
 *
 * @example
 * const { created, details } = await createReceiptWithFields(deps.receipts, built);
 * details.receipt.fields?.total; // { minor: 1250, currency: 'MYR', text: 'RM 12.50', line_ids: [14], source: 'extracted' }
 */
export async function createReceiptWithFields(
  receipts: ReceiptStore,
  built: ReceiptDetails,
  options: FieldExtractionOptions = {},
): Promise<{ created: boolean; details: ReceiptDetails }> {
  const fields = extractReceiptFields(inReadingOrder(built).lines, options);
  const result = await receipts.create({ ...built, receipt: { ...built.receipt, fields } });
  if (result.created) return result;

  const stored = result.details;
  const next = mergeReceiptFields(stored.receipt.fields, extractReceiptFields(inReadingOrder(stored).lines, options));
  if (stored.receipt.fields && sameFields(stored.receipt.fields, next)) return result;
  try {
    await receipts.putFields(stored.receipt.image_id, stored.receipt.receipt_id, next);
  } catch (error) {
    if (error instanceof NotFoundError) return result;
    throw error;
  }
  return { created: false, details: { ...stored, receipt: { ...stored.receipt, fields: next } } };
}

/** Equal values whatever the key order a store gave them back in. */
function sameFields(a: ReceiptFields, b: ReceiptFields): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
