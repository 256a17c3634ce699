import type { ReceiptPlace } from '../domain/index.js';
import type { MerchantResolution } from './resolve-merchant.js';

/**
 * The place row a resolution decides for one receipt: what is stored, and what every vector of
 * the receipt carries as merchant metadata.
 *
 * @example
 * const place = receiptPlaceFrom(resolution, { image_id, receipt_id }, isoNow(clock));
 */
export function receiptPlaceFrom(
  resolution: MerchantResolution,
  receipt: Pick<ReceiptPlace, 'image_id' | 'receipt_id'>,
  createdAt: string,
): ReceiptPlace {
  return {
    image_id: receipt.image_id,
    receipt_id: receipt.receipt_id,
    merchant_name: resolution.merchant_name,
    place_id: resolution.place_id,
    address: resolution.address,
    phone: resolution.phone,
    confidence: resolution.confidence,
    source: resolution.source,
    evidence: resolution.evidence,
    created_at: createdAt,
  };
}
