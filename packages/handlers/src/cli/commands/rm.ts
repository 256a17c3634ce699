import { UsageError } from '@receiptflow/core';
import { parseFlags, type Print } from '../args.js';
import { UploadApiClient } from '../http-client.js';
import { API_FLAGS, parseReceiptRef, receiptPath } from '../receipts-api.js';

/**
 * `receipts rm ID [--url URL] [--token T]`: deletes one receipt (`DELETE /receipts/{image_id}/{receipt_id}`).
 * It stays deleted (a tombstone keeps a redelivered OCR message from bringing it back); its
 * vectors go, and the image once its last receipt goes. An unknown ID, or another owner's, is a
 * 404 and exit 1.
 */
export async function rmCommand(argv: string[], out: Print): Promise<number> {
  const { values, positionals } = parseFlags(argv, API_FLAGS, true);
  if (positionals.length > 1) throw new UsageError('rm takes one ID');
  const ref = parseReceiptRef(positionals[0], 'rm');
  await new UploadApiClient(values.url, values.token).request('DELETE', receiptPath(ref));
  out(`deleted ${ref.imageId}/${ref.receiptId}`);
  return 0;
}
