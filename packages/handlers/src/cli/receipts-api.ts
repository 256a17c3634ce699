import { formatMinorUnits, IdSchema, ReceiptIdSchema, UsageError } from '@receiptflow/core';

/** `--url` and `--token`, as every command that talks to the API takes them. */
export const API_FLAGS = {
  url: { type: 'string', default: 'http://127.0.0.1:8787' },
  token: { type: 'string' },
} as const;

/** One receipt as `receipts show`, `fix` and `rm` name it. */
export interface ReceiptRef {
  imageId: string;
  receiptId: number;
}

/**
 * Reads a receipt ID as the CLI takes it: `IMAGE_ID/RECEIPT_ID` (as `receipts list` prints it),
 * or a bare `IMAGE_ID` for its receipt 1 (most images hold one receipt, and `receipts submit`
 * prints image ids). A malformed one is a UsageError naming it.
 *
 * @example
 * parseReceiptRef('0b9c…/2'); // { imageId: '0b9c…', receiptId: 2 }
 * parseReceiptRef('0b9c…');   // { imageId: '0b9c…', receiptId: 1 }
 */
export function parseReceiptRef(id: string | undefined, command: string): ReceiptRef {
  if (!id) throw new UsageError(`${command} needs one ID (IMAGE_ID/RECEIPT_ID, or IMAGE_ID for its receipt 1)`);
  const slash = id.indexOf('/');
  const image = slash < 0 ? id : id.slice(0, slash);
  const receipt = slash < 0 ? '1' : id.slice(slash + 1);
  const receiptId = /^\d+$/.test(receipt) ? Number(receipt) : NaN;
  if (!IdSchema.safeParse(image).success || !ReceiptIdSchema.safeParse(receiptId).success) {
    throw new UsageError(`"${id}" is not a receipt ID: write IMAGE_ID/RECEIPT_ID (e.g. 3f2a…/1) or IMAGE_ID`);
  }
  return { imageId: image, receiptId };
}

/** The API path of one receipt. */
export function receiptPath(ref: ReceiptRef): string {
  return `/receipts/${encodeURIComponent(ref.imageId)}/${ref.receiptId}`;
}

/** An amount as the API returns it, printed for a person: "12.50 USD". */
export function formatAmount(amount: { amount_minor: number; currency: string } | null | undefined): string {
  return amount ? `${formatMinorUnits(amount.amount_minor, amount.currency)} ${amount.currency}` : '-';
}

/** Rows as an aligned text table (the first row is the header); the last column is not padded. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
