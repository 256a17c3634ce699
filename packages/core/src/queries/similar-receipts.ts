import { lineVectorId, ownerOf, type PlaceSource } from '../domain/index.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { OcrJobStore, ReceiptStore, VectorIndex } from '../ports/index.js';
import { assertReceiptId, ownedImage } from './owned-receipt.js';

/** The most similar receipts one call returns. */
export const MAX_SIMILAR = 50;
/** Lines of the receipt that are queried: each is one index query, so a long receipt is sampled. */
export const SIMILAR_QUERY_LINES = 16;
/** Queries in flight at once (a Chroma server or the local index). */
const QUERY_CONCURRENCY = 4;

export interface SimilarReceipt {
  image_id: string;
  receipt_id: number;
  /**
   * Mean, over the queried lines of the receipt, of each line's best cosine similarity to a line
   * of this receipt (0 for a line it did not match): 1 = every line has an identical twin.
   */
  score: number;
  merchant: { place_id: string; name: string | null; source: PlaceSource } | null;
}

export interface SimilarReceiptsDeps {
  jobs: OcrJobStore;
  receipts: ReceiptStore;
  vectors: VectorIndex;
}

/**
 * The `k` receipts of `owner` nearest to one of theirs, through the `VectorIndex`: the receipt's
 * own line vectors (up to {@link SIMILAR_QUERY_LINES}, spread over the receipt) each query the
 * `lines` collection, and the matches are aggregated per receipt (the mean best match per
 * queried line), best first. The receipt itself and every other owner's receipt are left out
 * (the index is shared; owners are checked on the image rows, the source of truth). A receipt
 * whose vectors are not compacted yet has no neighbours to show: `similar` is empty.
 * NotFoundError for an unknown or foreign receipt; ValidationError naming k, image_id or receipt_id.
 *
 * @example
 * const { similar } = await similarReceipts({ jobs, receipts, vectors }, 'alice', imageId, 1, 5);
 * // [{ image_id, receipt_id: 1, score: 0.93, merchant: { place_id: 'ChIJ…', name: 'Harbor Lane Grocery', source: 'places' } }]
 */
export async function similarReceipts(
  deps: SimilarReceiptsDeps,
  owner: string,
  imageId: string,
  receiptId: number,
  k: number,
): Promise<{ similar: SimilarReceipt[] }> {
  if (!Number.isInteger(k) || k < 1 || k > MAX_SIMILAR) {
    throw new ValidationError('invalid k', [`k ${k} is not an integer in 1..${MAX_SIMILAR}`]);
  }
  assertReceiptId(receiptId);
  await ownedImage(deps.jobs, owner, imageId);
  const details = await deps.receipts.get(imageId, receiptId);
  if (!details) throw new NotFoundError('receipt', `${imageId}/${receiptId}`);

  const lineIds = details.lines.map((l) => l.line_id).sort((a, b) => a - b);
  const sampled = sample(lineIds, SIMILAR_QUERY_LINES).map((id) => lineVectorId(imageId, receiptId, id));
  const own = await deps.vectors.get('lines', sampled);
  if (own.length === 0) return { similar: [] };

  // Enough neighbours per line that the receipt's own lines, near-duplicates of one line on the
  // same receipt and other owners' receipts do not crowd out the k wanted.
  const perLine = Math.min(100, Math.max(20, k * 8));
  const best = new Map<string, { image_id: string; receipt_id: number; scores: Map<number, number> }>();
  await forEachLimited(own, QUERY_CONCURRENCY, async (record, q) => {
    const matches = await deps.vectors.query('lines', { vector: record.vector, k: perLine });
    for (const m of matches) {
      const otherImage = m.metadata.image_id;
      const otherReceipt = m.metadata.receipt_id;
      if (typeof otherImage !== 'string' || typeof otherReceipt !== 'number') continue;
      if (otherImage === imageId && otherReceipt === receiptId) continue;
      const key = `${otherImage}#${otherReceipt}`;
      const entry = best.get(key) ?? { image_id: otherImage, receipt_id: otherReceipt, scores: new Map() };
      entry.scores.set(q, Math.max(entry.scores.get(q) ?? -1, m.score));
      best.set(key, entry);
    }
  });

  const ranked = [...best.values()]
    .map((e) => ({ ...e, score: [...e.scores.values()].reduce((a, b) => a + b, 0) / own.length }))
    .sort((a, b) => b.score - a.score || a.image_id.localeCompare(b.image_id) || a.receipt_id - b.receipt_id);

  const ownerOfImage = new Map<string, string | null>();
  const similar: SimilarReceipt[] = [];
  for (const candidate of ranked) {
    if (similar.length === k) break;
    if (!ownerOfImage.has(candidate.image_id)) {
      const image = await deps.jobs.getImage(candidate.image_id);
      ownerOfImage.set(candidate.image_id, image ? ownerOf(image) : null);
    }
    // A deleted image's vectors may linger until the stream removes them: never shown.
    if (ownerOfImage.get(candidate.image_id) !== owner) continue;
    const place = await deps.receipts.getPlace(candidate.image_id, candidate.receipt_id);
    similar.push({
      image_id: candidate.image_id,
      receipt_id: candidate.receipt_id,
      score: Math.round(candidate.score * 10_000) / 10_000,
      merchant: place?.place_id ? { place_id: place.place_id, name: place.merchant_name, source: place.source } : null,
    });
  }
  return { similar };
}

/** At most `n` items spread evenly over `items`, first and last included. */
function sample<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))]!);
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
