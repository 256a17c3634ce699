import { ChromaUniqueError, type ChromaClient, type Collection } from 'chromadb';
import { DependencyError } from '@receiptflow/core';
import { toReceiptflowError, withTimeout } from './chroma-errors.js';

/**
 * Gets or creates a Chroma collection that holds caller-made embeddings (no embedding function)
 * and ranks by cosine distance. Refuses an existing collection that uses another distance, since
 * its scores would not be cosine similarities.
 */
export async function openCosineCollection(client: ChromaClient, name: string, timeoutMs: number): Promise<Collection> {
  const action = `open collection ${name}`;
  let opened: Collection;
  try {
    opened = await withTimeout(
      client.getOrCreateCollection({
        name,
        embeddingFunction: null,
        configuration: { hnsw: { space: 'cosine' } },
      }),
      timeoutMs,
      action,
    );
  } catch (error) {
    // docs/lessons.md#lesson-11-benign-races-counted-as-failures: a concurrent creator may win the race on servers where get-or-create is not
    // atomic; the collection then exists, which is all we wanted.
    if (!(error instanceof ChromaUniqueError)) throw toReceiptflowError(error, action);
    opened = await withTimeout(client.getCollection({ name }), timeoutMs, action).catch((e: unknown) => {
      throw toReceiptflowError(e, action);
    });
  }
  const space = opened.configuration?.hnsw?.space ?? opened.configuration?.spann?.space;
  if (space !== undefined && space !== null && space !== 'cosine') {
    throw new DependencyError('chroma', `collection ${name} uses the ${space} distance, expected cosine; recreate it`);
  }
  return opened;
}
