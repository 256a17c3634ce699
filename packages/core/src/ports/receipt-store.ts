import type {
  ReceiptDetails,
  ReceiptFields,
  ReceiptFingerprintClaim,
  ReceiptPlace,
  ReceiptRef,
  ReceiptTombstone,
} from '../domain/index.js';

/**
 * Receipts with their lines and words, and the place each receipt was resolved to.
 *
 * Promises every adapter keeps (proved by `describeReceiptStoreContract`):
 * - a receipt is written once: `create` never overwrites rows that later steps enriched;
 * - reads return lines by `line_id` and words by `(line_id, word_id)`, receipts by `receipt_id`;
 * - a receipt's fields (`receipt.fields`) are validated on every write (ValidationError naming
 *   each problem), and a receipt stored without fields reads back without them;
 * - `delete` leaves no child row behind: lines, words, the place, and the receipt's compaction
 *   runs go with it. The runs belong to {@link CompactionRunStore}, but they live under the
 *   receipt's key in the one job table, so the cascade is one prefix delete in the adapter, not a
 *   second port the store would have to know (and a run of a deleted receipt has nothing left to
 *   compact).
 * - a tombstone outlives the receipt's rows (`delete` never removes it), and `putTombstone` keeps
 *   the first one written;
 * - `claimFingerprint` is conditional: of concurrent claims of one (owner, fingerprint) exactly
 *   one is stored, and every caller is told which.
 *
 * @example
 * const { created, details } = await receipts.create({ receipt, lines, words });
 * if (!created) log.info('receipt existed; kept the stored rows', { receipt_id: receipt.receipt_id });
 * await receipts.putPlace(place);
 * const sameShop = await receipts.listByPlaceId(place.place_id!, 20);
 */
export interface ReceiptStore {
  /**
   * Writes a receipt with its lines and words, only if the receipt does not exist yet, so a
   * redelivered job never overwrites rows that later steps enriched. Returns what is stored
   * afterwards (the existing rows when they were there already) and whether it wrote.
   */
  create(details: ReceiptDetails): Promise<{ created: boolean; details: ReceiptDetails }>;
  get(imageId: string, receiptId: number): Promise<ReceiptDetails | null>;
  /** Every receipt of one image, by receipt id. */
  list(imageId: string): Promise<ReceiptDetails[]>;
  /**
   * Replaces the fields of a stored receipt (on its receipt row; lines and words are untouched).
   * The results step calls it when a redelivery re-extracts fields for a receipt stored earlier;
   * corrections will too. ValidationError when `fields` does not fit the schema, NotFoundError
   * when the receipt does not exist (it is never created here).
   *
   * @example
   * await receipts.putFields(imageId, 1, mergeReceiptFields(stored.receipt.fields, extracted));
   */
  putFields(imageId: string, receiptId: number, fields: ReceiptFields): Promise<void>;
  /** Deletes the receipt and every child row (lines, words, place, compaction runs). Absent: no-op. */
  delete(imageId: string, receiptId: number): Promise<void>;

  /** Creates or replaces the place of a receipt (merchant corrections replace it). */
  putPlace(place: ReceiptPlace): Promise<void>;
  getPlace(imageId: string, receiptId: number): Promise<ReceiptPlace | null>;
  /** Absent: no-op. */
  deletePlace(imageId: string, receiptId: number): Promise<void>;
  /** Receipts resolved to this place (a GSI in DynamoDB). */
  listByPlaceId(placeId: string, limit?: number): Promise<ReceiptPlace[]>;

  /**
   * Records that a person deleted the receipt, before its rows go, so that a redelivered
   * OCR-results message cannot create it again (deleteReceipt). Idempotent: when a tombstone
   * exists it is kept as it is (the first deletion's time and owner).
   *
   * @example
   * await receipts.putTombstone({ image_id, receipt_id: 1, owner, deleted_at: isoNow(clock) });
   * await receipts.delete(image_id, 1);
   */
  putTombstone(tombstone: ReceiptTombstone): Promise<void>;
  /** The receipt's tombstone, or null when it was never deleted. */
  getTombstone(imageId: string, receiptId: number): Promise<ReceiptTombstone | null>;
  /**
   * Sets (or, with null, clears) `receipt.possible_duplicate_of` on the receipt row; lines, words
   * and fields are untouched. NotFoundError when the receipt does not exist.
   */
  putPossibleDuplicate(imageId: string, receiptId: number, of: ReceiptRef | null): Promise<void>;
  /**
   * Claims `claim.fingerprint` for one owner's receipt unless another receipt holds it, and
   * returns the claim that holds it afterwards: `claim` itself when it won (or the receipt held
   * it already), else the holder's, which the caller flags as `possible_duplicate_of`.
   *
   * @example
   * const holder = await receipts.claimFingerprint({ owner, fingerprint, image_id, receipt_id: 1, claimed_at });
   * const duplicate = holder.image_id !== image_id || holder.receipt_id !== 1;
   */
  claimFingerprint(claim: ReceiptFingerprintClaim): Promise<ReceiptFingerprintClaim>;
  /** Removes the claim if `imageId/receiptId` holds it; another holder's claim is left alone. */
  releaseFingerprint(owner: string, fingerprint: string, imageId: string, receiptId: number): Promise<void>;
}
