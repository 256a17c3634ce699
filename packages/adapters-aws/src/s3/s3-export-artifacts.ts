import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertExportKey,
  assertExportUrlSeconds,
  type ExportArtifacts,
  type PresignedDownload,
  type StoredExport,
  utf8Chunks,
} from '@receiptflow/core';
import { streamedUpload } from './streamed-upload.js';

export interface S3ExportArtifactsConfig {
  /** The bucket exports are written to (`EXPORT_BUCKET`), under `exports/<owner>/`. */
  bucket: string;
}

/**
 * ExportArtifacts in an S3 bucket: an export is written as a multipart upload, one 5 MiB part
 * at a time as the chunks come (so a 100k-receipt export never sits in the function's memory),
 * and handed out as a SigV4 presigned GetObject URL. The object carries
 * `Content-Disposition: attachment; filename="<name>"`, so a browser following the URL saves it.
 *
 * IAM: s3:PutObject (which covers CreateMultipartUpload, UploadPart, CompleteMultipartUpload),
 * s3:AbortMultipartUpload and s3:GetObject (the signer's permission is checked when the URL is
 * used) on `arn:aws:s3:::<bucket>/exports/*`.
 */
export class S3ExportArtifacts implements ExportArtifacts {
  readonly bucket: string;

  /**
   * Binds the exports to one bucket; the client brings region, credentials and endpoint.
   *
   * @example
   * const exports = new S3ExportArtifacts(new S3Client({ region: 'eu-west-1' }), { bucket: config.EXPORT_BUCKET });
   * const { url } = await exports.presignDownload((await exports.put(key, chunks, 'text/csv; charset=utf-8')).key, 900);
   */
  constructor(
    private readonly client: S3Client,
    config: S3ExportArtifactsConfig,
  ) {
    this.bucket = config.bucket;
  }

  async put(key: string, chunks: AsyncIterable<string>, contentType: string): Promise<StoredExport> {
    assertExportKey(key);
    const body = utf8Chunks(chunks);
    const filename = key.slice(key.lastIndexOf('/') + 1);
    await streamedUpload(
      this.client,
      { bucket: this.bucket, key, contentType, contentDisposition: `attachment; filename="${filename}"` },
      body.bytes,
    );
    return { key, bytes: body.written() };
  }

  async presignDownload(key: string, expiresInSeconds: number): Promise<PresignedDownload> {
    assertExportKey(key);
    assertExportUrlSeconds(expiresInSeconds);
    // Signed against the wall clock (the presigner takes no clock); the reported expiry too.
    const expiresAt = Date.now() + expiresInSeconds * 1000;
    const url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
    return { url, expires_at: new Date(expiresAt).toISOString() };
  }
}
