import { NotFoundError } from '@receiptflow/core';
import type { LocalImageStore } from '../../src/local-image-store.js';

/** A client's GET of a local presigned download, as the local server answers it: bytes, or null for 404. */
export async function readPresignedDownload(store: LocalImageStore, url: string): Promise<Uint8Array | null> {
  try {
    const chunks: Uint8Array[] = [];
    for await (const chunk of (await store.openPresignedDownload(url)).body) chunks.push(chunk);
    return new Uint8Array(Buffer.concat(chunks));
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}
