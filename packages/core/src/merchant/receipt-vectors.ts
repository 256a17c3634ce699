import {
  inReadingOrder,
  lineVectorId,
  wordVectorId,
  type ReceiptDetails,
  type ReceiptPlace,
  type VectorMetadata,
  type VectorRecord,
  placeMetadata,
} from '../domain/index.js';
import { DependencyError } from '../errors.js';
import { lineEmbeddingText, wordEmbeddingText } from './embedding-text.js';
import { MEMORY_KEY_FIELDS } from './resolve-merchant.js';
import { extractMerchantSignals, lineSignalFlags, type MerchantSignals } from './signals.js';
import type { Embedder, VectorIndex } from '../ports/index.js';

/** A receipt's embeddings: one per line, then one per word (lines in order, words in line order). */
export interface ReceiptEmbeddings {
  lineVectors: number[][];
  wordVectors: number[][];
}

/**
 * Embeds a receipt's lines and words with their context, in one embedder call. Lines whose
 * vector is in `knownLines` (by line index: the signature lines merchant resolution embedded
 * already) are not sent again; `tokens` counts only what was sent. Throws a DependencyError if
 * the embedder returns the wrong number or length of vectors.
 *
 * @example
 * const resolution = await resolveMerchant(deps, lineTexts); // embeds ≤ 8 signature lines
 * const { lineVectors, wordVectors } = await embedReceipt(embedder, details, resolution.signature_vectors);
 */
export async function embedReceipt(
  embedder: Embedder,
  details: ReceiptDetails,
  knownLines: ReadonlyMap<number, readonly number[]> = new Map(),
): Promise<ReceiptEmbeddings & { tokens: number }> {
  const texts = embeddingTexts(details);
  const known = (i: number) => {
    const v = i < details.lines.length ? knownLines.get(i) : undefined;
    return v && v.length === embedder.dimensions ? v : undefined;
  };
  const wanted = texts.map((_, i) => i).filter((i) => !known(i));
  const embedded = wanted.length > 0 ? await embedder.embed(wanted.map((i) => texts[i]!)) : { vectors: [], tokens: 0 };
  if (embedded.vectors.length !== wanted.length || embedded.vectors.some((v) => v.length !== embedder.dimensions)) {
    throw new DependencyError(
      'embedder',
      `returned ${embedded.vectors.length} vectors for ${wanted.length} texts (expected ${embedder.dimensions} dimensions each)`,
    );
  }
  const vectors: number[][] = texts.map((_, i) => [...(known(i) ?? [])]);
  wanted.forEach((i, n) => (vectors[i] = embedded.vectors[n]!));
  return {
    lineVectors: vectors.slice(0, details.lines.length),
    wordVectors: vectors.slice(details.lines.length),
    tokens: embedded.tokens,
  };
}

/**
 * The vector records of a receipt, as compaction stores them: ids from the receipt's keys,
 * the text as document, and metadata with the merchant signals and the place.
 */
export function receiptVectorRecords(
  details: ReceiptDetails,
  embeddings: ReceiptEmbeddings,
  place: ReceiptPlace,
): { lines: VectorRecord[]; words: VectorRecord[] } {
  const signals = extractMerchantSignals(details.lines.map((l) => l.text));
  return {
    lines: lineRecords(details, embeddings.lineVectors, place, signals),
    words: wordRecords(details, embeddings.wordVectors, place, signals),
  };
}

/**
 * Re-derives a stored receipt's vectors and upserts them: what a repair does when the vector
 * index was lost. The same records compaction writes (ids, documents, metadata), re-embedded.
 *
 * @example
 * await rebuildReceiptVectors({ embedder, vectors }, details, place);
 */
export async function rebuildReceiptVectors(
  deps: { embedder: Embedder; vectors: VectorIndex },
  details: ReceiptDetails,
  place: ReceiptPlace,
): Promise<{ lines: number; words: number }> {
  const sorted = inReadingOrder(details);
  const records = receiptVectorRecords(sorted, await embedReceipt(deps.embedder, sorted), place);
  await deps.vectors.upsert('lines', records.lines);
  await deps.vectors.upsert('words', records.words);
  return { lines: records.lines.length, words: records.words.length };
}

function embeddingTexts(details: ReceiptDetails): string[] {
  const lineTexts = details.lines.map((l) => l.text);
  const texts = details.lines.map((_, i) => lineEmbeddingText(lineTexts, i));
  for (const line of details.lines) {
    const words = details.words.filter((w) => w.line_id === line.line_id);
    const wordTexts = words.map((w) => w.text);
    words.forEach((_, j) => texts.push(wordEmbeddingText(wordTexts, j, line.text)));
  }
  return texts;
}

/** Metadata without nulls: vector stores reject or mishandle null values; absent means unknown. */
function compactMetadata(m: VectorMetadata): VectorMetadata {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null));
}

/**
 * The receipt's exact identifiers, on every one of its vectors: memory finds a repeat visit by
 * an equality filter on them (a small, selective filter), whatever its lines' similarity.
 */
function receiptKeys(signals: MerchantSignals): VectorMetadata {
  return {
    [MEMORY_KEY_FIELDS.phone]: signals.phones[0] ?? null,
    [MEMORY_KEY_FIELDS.tax_id]: signals.taxIds[0] ?? null,
    [MEMORY_KEY_FIELDS.registration]: signals.registrationNos[0] ?? null,
  };
}

function lineRecords(
  d: ReceiptDetails,
  vectors: number[][],
  place: ReceiptPlace,
  signals: MerchantSignals,
): VectorRecord[] {
  return d.lines.map((line, i) => ({
    id: lineVectorId(line.image_id, line.receipt_id, line.line_id),
    vector: vectors[i] ?? [],
    document: line.text,
    metadata: compactMetadata({
      image_id: line.image_id,
      receipt_id: line.receipt_id,
      line_id: line.line_id,
      text: line.text,
      ...receiptKeys(signals),
      ...lineSignalFlags(signals, i),
      ...placeMetadata(place),
    }),
  }));
}

function wordRecords(
  d: ReceiptDetails,
  vectors: number[][],
  place: ReceiptPlace,
  signals: MerchantSignals,
): VectorRecord[] {
  const lineIndex = new Map(d.lines.map((l, i) => [l.line_id, i]));
  return d.words.map((word, i) => ({
    id: wordVectorId(word.image_id, word.receipt_id, word.line_id, word.word_id),
    vector: vectors[i] ?? [],
    document: word.text,
    metadata: compactMetadata({
      image_id: word.image_id,
      receipt_id: word.receipt_id,
      line_id: word.line_id,
      word_id: word.word_id,
      text: word.text,
      ...receiptKeys(signals),
      ...lineSignalFlags(signals, lineIndex.get(word.line_id) ?? -1),
      ...placeMetadata(place),
    }),
  }));
}
