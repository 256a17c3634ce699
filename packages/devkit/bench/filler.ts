import {
  extractMerchantSignals,
  lineEmbeddingText,
  lineSignalFlags,
  lineVectorId,
  placeMetadata,
  wordEmbeddingText,
  wordVectorId,
  type Collection,
  type VectorRecord,
} from '@receiptflow/core';
import { HashingEmbedder } from '@receiptflow/adapters-local';
import { fillerMerchants, receiptLines, seededRandom } from './receipt-lines.js';

export interface FillerOptions {
  /** Which collection's records: line vectors or word vectors. */
  collection: Collection;
  /** Records per yielded batch. */
  batchSize?: number;
  seed?: number;
  /** Share of filler receipts that carry a place (vector memory only votes with those). */
  placedShare?: number;
}

/**
 * Vector records that look like what compaction writes: receipts of fictional merchants,
 * embedded with the pipeline's embedder and context texts, with the same metadata keys
 * (merchant fields, has_place, signal flags). Yields `total` records in batches; the first n of
 * any run are the same, so a small index is a prefix of the large one.
 */
export async function* fillerRecords(total: number, options: FillerOptions): AsyncGenerator<VectorRecord[]> {
  const batchSize = options.batchSize ?? 1000;
  const random = seededRandom(options.seed ?? 11);
  // About 50 lines per merchant at any size: a merchant has several receipts in memory.
  const merchants = fillerMerchants(Math.max(20, Math.ceil(total / 50)));
  const embedder = new HashingEmbedder();
  let batch: VectorRecord[] = [];
  let produced = 0;
  for (let receipt = 0; produced < total; receipt++) {
    const merchant = merchants[Math.floor(random() * merchants.length)]!;
    const lines = receiptLines(merchant, random);
    const signals = extractMerchantSignals(lines);
    const placed = random() < (options.placedShare ?? 0.9);
    const image_id = `bench-image-${receipt}`;
    const common = {
      image_id,
      receipt_id: 1,
      ...(signals.phones[0] ? { receipt_phone: signals.phones[0] } : {}),
      ...withoutNulls(
        placeMetadata(
          placed
            ? {
                merchant_name: merchant.name,
                place_id: merchant.place_id,
                address: `${merchant.street}, ${merchant.city}`,
                phone: merchant.phone,
              }
            : null,
        ),
      ),
    };
    const texts: string[] = [];
    const metas: Record<string, string | number | boolean>[] = [];
    const ids: string[] = [];
    const docs: string[] = [];
    lines.forEach((text, i) => {
      const flags = lineSignalFlags(signals, i);
      if (options.collection === 'lines') {
        texts.push(lineEmbeddingText(lines, i));
        ids.push(lineVectorId(image_id, 1, i + 1));
        docs.push(text);
        metas.push({ ...common, line_id: i + 1, text, ...flags });
        return;
      }
      const words = text.split(' ');
      words.forEach((word, j) => {
        texts.push(wordEmbeddingText(words, j, text));
        ids.push(wordVectorId(image_id, 1, i + 1, j + 1));
        docs.push(word);
        metas.push({ ...common, line_id: i + 1, word_id: j + 1, text: word, ...flags });
      });
    });
    const { vectors } = await embedder.embed(texts);
    for (let i = 0; i < vectors.length && produced < total; i++, produced++) {
      batch.push({ id: ids[i]!, vector: vectors[i]!, document: docs[i]!, metadata: metas[i]! });
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/** Query vectors from receipts not in any filler index (a different seed): header lines mostly. */
export async function queryVectors(count: number, seed = 97): Promise<number[][]> {
  const random = seededRandom(seed);
  const merchants = fillerMerchants(200, seed);
  const embedder = new HashingEmbedder();
  const texts: string[] = [];
  while (texts.length < count) {
    const lines = receiptLines(merchants[Math.floor(random() * merchants.length)]!, random);
    const i = Math.floor(random() * lines.length);
    texts.push(lineEmbeddingText(lines, i));
  }
  return (await embedder.embed(texts)).vectors;
}

function withoutNulls<T extends Record<string, unknown>>(m: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null)) as { [K in keyof T]: Exclude<T[K], null> };
}
