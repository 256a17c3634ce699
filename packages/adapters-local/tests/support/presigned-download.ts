import { NotFoundError } from '@receiptflow/core';
import type { LocalImageStore } from '../../src/local-image-store.js';

/** A client's GET of a local presigned download, as the local server answers it: bytes, or null for 404. */
export async function readPresignedDownload(store: LocalImageStore, url: string): Promise<Uint8Array | null> {
  try {
    return (await store.openPresignedDownload(url)).body;
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}
