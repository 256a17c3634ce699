import {
  formatMinorUnits,
  type ReceiptFields,
  type ReceiptLine,
  type ReceiptPlace,
  UsageError,
} from '@receiptflow/core';
import { parseFlags, type Print } from '../args.js';
import { UploadApiClient } from '../http-client.js';
import { API_FLAGS, parseReceiptRef, receiptPath } from '../receipts-api.js';

/** `GET /receipts/{image_id}/{receipt_id}`, the parts this command prints. */
interface ReceiptView {
  receipt: { image_id: string; receipt_id: number; created_at: string; fields?: ReceiptFields };
  merchant: ReceiptPlace | null;
  lines: ReceiptLine[];
  stage: string;
  image_url: string;
  possible_duplicate_of?: { image_id: string; receipt_id: number };
}

/**
 * `receipts show ID [--json] [--url URL] [--token T]`: one receipt, its merchant, fields (with
 * who set each: `user` once corrected), line items and the text of its lines. ID is
 * `IMAGE_ID/RECEIPT_ID` or `IMAGE_ID` for receipt 1. --json prints the API's answer as it is
 * (with words and their geometry).
 */
export async function showCommand(argv: string[], out: Print): Promise<number> {
  const { values, positionals } = parseFlags(argv, { ...API_FLAGS, json: { type: 'boolean', default: false } }, true);
  if (positionals.length > 1) throw new UsageError('show takes one ID');
  const ref = parseReceiptRef(positionals[0], 'show');
  const client = new UploadApiClient(values.url, values.token);
  const view = (await client.request('GET', receiptPath(ref))) as ReceiptView;
  if (values.json) {
    out(JSON.stringify(view, null, 2));
    return 0;
  }
  const f = view.receipt.fields;
  const money = (m: { minor: number; currency: string; source: string } | null | undefined) =>
    m ? `${formatMinorUnits(m.minor, m.currency)} ${m.currency}${m.source === 'user' ? '  (corrected)' : ''}` : '-';
  const m = view.merchant;
  const rows: [string, string][] = [
    ['receipt', `${view.receipt.image_id}/${view.receipt.receipt_id}`],
    ['merchant', m?.place_id ? `${m.merchant_name ?? '?'} (${m.place_id}, ${m.source})` : '-'],
    ['date', f?.date?.value ? `${f.date.value}${f.date.source === 'user' ? '  (corrected)' : ''}` : '-'],
    ['total', money(f?.total)],
    ['subtotal', money(f?.subtotal)],
    ['tax', money(f?.tax)],
    ['payment', f?.payment_method ? f.payment_method.value : '-'],
    ['stage', view.stage],
    ['uploaded', view.receipt.created_at],
    ['image', view.image_url],
  ];
  const dup = view.possible_duplicate_of;
  if (dup) rows.push(['duplicate?', `same merchant, date and total as ${dup.image_id}/${dup.receipt_id}`]);
  for (const [label, value] of rows) out(`${label.padEnd(10)} ${value}`);
  if (f && f.line_items.length > 0) {
    out('');
    out('items');
    for (const item of f.line_items) {
      const qty = item.quantity === null ? '' : `${item.quantity} x `;
      const mine = item.source === 'user' ? '  (corrected)' : '';
      out(`  ${qty}${item.description}  ${formatMinorUnits(item.amount.minor, item.amount.currency)}${mine}`);
    }
  }
  out('');
  out('lines');
  for (const line of [...view.lines].sort((a, b) => a.line_id - b.line_id)) out(`  ${line.text}`);
  return 0;
}
