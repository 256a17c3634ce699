import { ChromaUniqueError, type ChromaClient, type Collection } from 'chromadb';
import { DependencyError } from '@receiptflow/core';
import type { ChromaRequests } from './chroma-requests.js';

/**
 * Gets or creates a Chroma collection that holds caller-made embeddings (no embedding function)
 * and ranks by cosine distance. Refuses an existing collection that uses another distance, since
 * its scores would not be cosine similarities.
 */
export async function openCosineCollection(
  client: ChromaClient,
  name: string,
  requests: ChromaRequests,
): Promise<Collection> {
  const action = `open collection ${name}`;
  let raced = false;
  const opened = await requests
    .run(
      action,
      () =>
        client.getOrCreateCollection({
          name,
          embeddingFunction: null,
          configuration: { hnsw: { space: 'cosine' } },
        }),
      {
        onError: (error) => {
          raced = error instanceof ChromaUniqueError;
        },
      },
    )
    .catch((error: unknown) => {
      // docs/lessons.md#lesson-11-benign-races-counted-as-failures: a concurrent creator may win the race on servers where get-or-create is not
      // atomic; the collection then exists, which is all we wanted.
      if (!raced) throw error;
      return requests.run(action, () => client.getCollection({ name }));
    });
  const space = opened.configuration?.hnsw?.space ?? opened.configuration?.spann?.space;
  if (space !== undefined && space !== null && space !== 'cosine') {
    throw new DependencyError('chroma', `collection ${name} uses the ${space} distance, expected cosine; recreate it`);
  }
  return opened;
}
