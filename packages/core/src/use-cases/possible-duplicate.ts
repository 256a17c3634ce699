import {
  ownerOf,
  receiptFingerprint,
  sameReceiptRef,
  type Receipt,
  type ReceiptPlace,
  type ReceiptRef,
} from '../domain/index.js';
import { NotFoundError } from '../errors.js';
import { isoNow, type Clock, type ReceiptStore } from '../ports/index.js';

/**
 * Flags a receipt whose merchant, date and total equal an earlier receipt of the same owner as
 * `possible_duplicate_of` that one, and clears the flag once they no longer do (a correction).
 * Never drops anything: a person decides (docs/architecture.md#duplicates).
 *
 * The check is one conditional write, not a search: the first receipt with a fingerprint claims
 * it ({@link ReceiptStore.claimFingerprint}), and a later one learns the holder from the claim.
 * A holder that was deleted without releasing its claim (a crash between the two) is replaced.
 * `previous` is the fingerprint the receipt had before a correction: its claim is released when
 * the fingerprint changed, so the next receipt with the old values is not flagged against this one.
 * Returns the flag as stored afterwards.
 *
 * @example
 * const flag = await flagPossibleDuplicate(deps, details.receipt, place);
 * flag; // { image_id: 'img-…', receipt_id: 1 } when an earlier receipt matched, else null
 */
export async function flagPossibleDuplicate(
  deps: { receipts: ReceiptStore; clock: Clock },
  receipt: Receipt,
  place: ReceiptPlace | null,
  previous: string | null = null,
): Promise<ReceiptRef | null> {
  const { image_id, receipt_id } = receipt;
  const owner = ownerOf(receipt);
  const fingerprint = receiptFingerprint(place?.place_id, receipt.fields);
  if (previous !== null && previous !== fingerprint)
    await deps.receipts.releaseFingerprint(owner, previous, image_id, receipt_id);

  let of: ReceiptRef | null = null;
  if (fingerprint !== null) {
    const claim = { owner, fingerprint, image_id, receipt_id, claimed_at: isoNow(deps.clock) };
    let holder = await deps.receipts.claimFingerprint(claim);
    if (!sameReceiptRef(holder, claim) && (await deps.receipts.getTombstone(holder.image_id, holder.receipt_id))) {
      await deps.receipts.releaseFingerprint(owner, fingerprint, holder.image_id, holder.receipt_id);
      holder = await deps.receipts.claimFingerprint(claim);
    }
    if (!sameReceiptRef(holder, claim)) of = { image_id: holder.image_id, receipt_id: holder.receipt_id };
  }
  if (!sameReceiptRef(receipt.possible_duplicate_of, of)) {
    try {
      await deps.receipts.putPossibleDuplicate(image_id, receipt_id, of);
    } catch (error) {
      // Deleted meanwhile: there is nothing left to flag.
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return of;
}
