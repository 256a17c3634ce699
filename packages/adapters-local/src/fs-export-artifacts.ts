import {
  assertExportKey,
  assertExportUrlSeconds,
  type ExportArtifacts,
  type PresignedDownload,
  type StoredExport,
  type StreamedObject,
  utf8Chunks,
} from '@receiptflow/core';
import { FsImageStore, type FsImageStoreConfig } from './fs-image-store.js';

/**
 * ExportArtifacts in a local bucket on disk: each export is one object file of an
 * {@link FsImageStore} (written through a side file, renamed into place only once every chunk
 * is written, so a failed export leaves nothing), and its URL is a local presigned GET that the
 * local server's `GET /uploads/<bucket>/…` route serves (`openPresignedDownload`).
 */
export class FsExportArtifacts implements ExportArtifacts {
  private readonly objects: FsImageStore;

  /**
   * Exports under `config.dir`, signed with `config.uploads` (the data folder's presign key).
   *
   * @example
   * const exports = new FsExportArtifacts({ bucket: 'exports', dir: join(dataDir, 'objects', 'exports'), uploads, clock });
   * const { key } = await exports.put('exports/alice/e1.csv', chunks, 'text/csv; charset=utf-8');
   */
  constructor(config: FsImageStoreConfig) {
    this.objects = new FsImageStore(config);
  }

  get bucket(): string {
    return this.objects.bucket;
  }

  async put(key: string, chunks: AsyncIterable<string>, contentType: string): Promise<StoredExport> {
    assertExportKey(key);
    const body = utf8Chunks(chunks);
    await this.objects.putStream(key, body.bytes, { contentType });
    return { key, bytes: body.written() };
  }

  async presignDownload(key: string, expiresInSeconds: number): Promise<PresignedDownload> {
    assertExportKey(key);
    assertExportUrlSeconds(expiresInSeconds);
    return this.objects.presignDownload(key, { expiresInSeconds });
  }

  /** A GET of one of this store's URLs, as the local server serves it (403 bad URL, 404 none). */
  openPresignedDownload(url: string): Promise<StreamedObject> {
    return this.objects.openPresignedDownload(url);
  }
}
