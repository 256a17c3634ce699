import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  ValidationError,
  type PresignedDownload,
  type PresignedUpload,
  type PresignUploadOptions,
} from '@receiptflow/core';
import { PresignedUrlInvalidError, PresignedUrlUsedError, UploadTooLargeError } from './errors.js';
import { UploadNonceLedger } from './upload-nonce-ledger.js';

/** What one signed URL allows: one PUT of `key` in `bucket`, of this type and size, until then. */
export interface PresignedUploadGrant {
  bucket: string;
  key: string;
  contentType: string;
  maxBytes: number;
  /** Epoch ms. */
  expiresAt: number;
  /** Random, per URL: what the ledger records when the URL is used. */
  nonce: string;
}

export interface LocalPresignedUploadsConfig {
  /** The HMAC key; default random (URLs then die with the process). */
  secret?: Buffer;
  /** Where uses are recorded; default in memory. */
  ledger?: UploadNonceLedger;
  /** Where URLs point, e.g. `http://127.0.0.1:8787/uploads`; default `local://uploads` (not fetchable). */
  baseUrl?: string;
}

const VERSION = 'receiptflow-upload-v1';
/** Another domain separator: an upload's signature can never pass as a download's, nor the reverse. */
const DOWNLOAD_VERSION = 'receiptflow-download-v1';

/** What a verified presigned download URL allows: GETs of `key` in `bucket` until `expiresAt`. */
export interface PresignedDownloadGrant {
  bucket: string;
  key: string;
  /** Epoch ms. */
  expiresAt: number;
}

/**
 * Local presigned uploads, the stand-in for S3's: a URL
 * `<base>/<bucket>/<key>?content-type=&max-bytes=&expires=&nonce=&signature=` whose signature is
 * an HMAC-SHA256 over all of them with a secret that only the server knows (kept in the data
 * folder, so URLs survive a restart). Nothing about an issued URL needs remembering until it is
 * used; then its nonce goes into the ledger, and a replay is refused. The host is not signed:
 * the same URL works after a restart on the same port, behind whatever address the client used.
 *
 * @example
 * const uploads = new LocalPresignedUploads({ secret, ledger, baseUrl: 'http://127.0.0.1:8787/uploads' });
 * const upload = uploads.issue('raw', 'raw/img/a.png', { contentType: 'image/png', maxBytes: 1e6, expiresInSeconds: 900 }, Date.now());
 * const grant = uploads.admit('raw', upload.url, 'image/png', 5000, Date.now());
 */
export class LocalPresignedUploads {
  private readonly secret: Buffer;
  private readonly ledger: UploadNonceLedger;
  private readonly baseUrl: string;
  private readonly basePath: string;

  constructor(config: LocalPresignedUploadsConfig = {}) {
    this.secret = config.secret ?? randomBytes(32);
    this.ledger = config.ledger ?? UploadNonceLedger.inMemory();
    this.baseUrl = (config.baseUrl ?? 'local://uploads').replace(/\/+$/, '');
    this.basePath = new URL(this.baseUrl).pathname.replace(/\/+$/, '');
  }

  issue(bucket: string, key: string, options: PresignUploadOptions, now: number): PresignedUpload {
    const { contentType, maxBytes, expiresInSeconds } = options;
    const issues: string[] = [];
    if (contentType.trim() === '') issues.push('contentType is empty');
    if (!Number.isInteger(maxBytes) || maxBytes < 1) issues.push(`maxBytes ${maxBytes} is not a positive integer`);
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1)
      issues.push(`expiresInSeconds ${expiresInSeconds} is not a positive integer`);
    if (issues.length > 0) throw new ValidationError(`cannot presign an upload of ${key}`, issues);
    const grant: PresignedUploadGrant = {
      bucket,
      key,
      contentType,
      maxBytes,
      expiresAt: now + expiresInSeconds * 1000,
      nonce: randomBytes(16).toString('hex'),
    };
    const query = new URLSearchParams({
      'content-type': contentType,
      'max-bytes': String(maxBytes),
      expires: String(grant.expiresAt),
      nonce: grant.nonce,
      signature: this.sign(grant),
    });
    return {
      method: 'PUT',
      url: `${this.baseUrl}/${objectPath(bucket, key)}?${query.toString()}`,
      fields: {},
      headers: { 'content-type': contentType },
      max_bytes: maxBytes,
      expires_at: new Date(grant.expiresAt).toISOString(),
    };
  }

  /**
   * Checks a PUT from its URL and headers alone, before its body is read: signature, bucket,
   * expiry, content type, declared length, and that the URL was not used. Throws
   * PresignedUrlInvalidError (403), UploadTooLargeError (413) or PresignedUrlUsedError (409).
   */
  admit(
    bucket: string,
    url: string,
    contentType: string,
    declaredBytes: number | null,
    now: number,
  ): PresignedUploadGrant {
    const grant = this.parse(url);
    const expected = Buffer.from(this.sign(grant), 'hex');
    const presented = Buffer.from(new URL(url).searchParams.get('signature') ?? '', 'hex');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new PresignedUrlInvalidError(
        'presigned upload URL has a bad signature (altered, or signed with another secret)',
      );
    }
    if (grant.bucket !== bucket)
      throw new PresignedUrlInvalidError(`presigned upload URL is for bucket ${grant.bucket}, not ${bucket}`);
    if (now > grant.expiresAt) {
      throw new PresignedUrlInvalidError(
        `presigned upload URL for ${grant.key} expired at ${new Date(grant.expiresAt).toISOString()}`,
      );
    }
    const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== grant.contentType) {
      throw new PresignedUrlInvalidError(
        `presigned upload URL for ${grant.key} allows content type ${grant.contentType}, not ${type || '(none)'}`,
      );
    }
    if (declaredBytes !== null) this.assertSize(grant, declaredBytes);
    if (this.ledger.isUsed(grant.nonce)) {
      throw new PresignedUrlUsedError(`presigned upload URL for ${grant.key} was already used; ask for a new one`);
    }
    return grant;
  }

  /** Runs `write` as the one use of the grant's URL (refusing a replay), after a size check. */
  async consume(grant: PresignedUploadGrant, bytes: Uint8Array, write: () => Promise<void>): Promise<void> {
    this.assertSize(grant, bytes.length);
    await this.ledger.consume(grant.nonce, grant.expiresAt, write);
  }

  /**
   * A GET URL of `key`: `<base>/<bucket>/<key>?expires=&signature=`, the HMAC over both with the
   * same secret as uploads (its own domain separator). Unlike an upload it may be used any
   * number of times until it expires, as an S3 presigned GET may.
   */
  issueDownload(bucket: string, key: string, expiresInSeconds: number, now: number): PresignedDownload {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1) {
      throw new ValidationError(`cannot presign a download of ${key}`, [
        `expiresInSeconds ${expiresInSeconds} is not a positive integer`,
      ]);
    }
    const grant: PresignedDownloadGrant = { bucket, key, expiresAt: now + expiresInSeconds * 1000 };
    const query = new URLSearchParams({ expires: String(grant.expiresAt), signature: this.signDownload(grant) });
    return {
      url: `${this.baseUrl}/${objectPath(bucket, key)}?${query.toString()}`,
      expires_at: new Date(grant.expiresAt).toISOString(),
    };
  }

  /**
   * Checks a presigned download URL (signature, bucket, expiry) and returns what it allows.
   * Throws PresignedUrlInvalidError (403) otherwise.
   */
  admitDownload(bucket: string, url: string, now: number): PresignedDownloadGrant {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new PresignedUrlInvalidError(`presigned download URL is malformed: ${url.slice(0, 120)}`);
    }
    const path = this.objectPathOf(parsed, 'download');
    const expiresAt = Number(parsed.searchParams.get('expires'));
    if (!Number.isInteger(expiresAt)) throw new PresignedUrlInvalidError('presigned download URL has no valid expires');
    const grant: PresignedDownloadGrant = { ...path, expiresAt };
    const expected = Buffer.from(this.signDownload(grant), 'hex');
    const presented = Buffer.from(parsed.searchParams.get('signature') ?? '', 'hex');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new PresignedUrlInvalidError(
        'presigned download URL has a bad signature (altered, or signed with another secret)',
      );
    }
    if (grant.bucket !== bucket)
      throw new PresignedUrlInvalidError(`presigned download URL is for bucket ${grant.bucket}, not ${bucket}`);
    if (now > grant.expiresAt) {
      throw new PresignedUrlInvalidError(
        `presigned download URL for ${grant.key} expired at ${new Date(grant.expiresAt).toISOString()}`,
      );
    }
    return grant;
  }

  async close(): Promise<void> {
    await this.ledger.close();
  }

  private assertSize(grant: PresignedUploadGrant, bytes: number): void {
    if (bytes > grant.maxBytes)
      throw new UploadTooLargeError(`upload of ${bytes} bytes exceeds the ${grant.maxBytes} bytes its URL allows`);
    if (bytes < 1) throw new ValidationError(`upload of ${grant.key} is empty`);
  }

  private signDownload(g: PresignedDownloadGrant): string {
    const canonical = [DOWNLOAD_VERSION, g.bucket, g.key, g.expiresAt].join('\n');
    return createHmac('sha256', this.secret).update(canonical, 'utf8').digest('hex');
  }

  /** The bucket and key of a URL under this signer's base path. */
  private objectPathOf(parsed: URL, what: 'upload' | 'download'): { bucket: string; key: string } {
    const path = parsed.pathname.startsWith(`${this.basePath}/`)
      ? parsed.pathname.slice(this.basePath.length + 1)
      : null;
    if (path === null) throw new PresignedUrlInvalidError(`presigned ${what} URL is not under ${this.basePath}/`);
    let segments: string[];
    try {
      segments = path.split('/').map(decodeURIComponent);
    } catch {
      throw new PresignedUrlInvalidError(`presigned ${what} URL path is malformed: ${path.slice(0, 120)}`);
    }
    const [bucket, ...key] = segments;
    return { bucket: bucket ?? '', key: key.join('/') };
  }

  private sign(g: PresignedUploadGrant): string {
    const canonical = [VERSION, g.bucket, g.key, g.contentType, g.maxBytes, g.expiresAt, g.nonce].join('\n');
    return createHmac('sha256', this.secret).update(canonical, 'utf8').digest('hex');
  }

  private parse(url: string): PresignedUploadGrant {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new PresignedUrlInvalidError(`presigned upload URL is malformed: ${url.slice(0, 120)}`);
    }
    const path = parsed.pathname.startsWith(`${this.basePath}/`)
      ? parsed.pathname.slice(this.basePath.length + 1)
      : null;
    const q = parsed.searchParams;
    const maxBytes = Number(q.get('max-bytes'));
    const expiresAt = Number(q.get('expires'));
    const nonce = q.get('nonce') ?? '';
    const contentType = q.get('content-type') ?? '';
    if (
      path === null ||
      !Number.isInteger(maxBytes) ||
      !Number.isInteger(expiresAt) ||
      !/^[0-9a-f]{32}$/.test(nonce) ||
      !contentType
    ) {
      throw new PresignedUrlInvalidError(`presigned upload URL is malformed: ${parsed.pathname.slice(0, 120)}`);
    }
    let segments: string[];
    try {
      segments = path.split('/').map(decodeURIComponent);
    } catch {
      throw new PresignedUrlInvalidError(`presigned upload URL path is malformed: ${path.slice(0, 120)}`);
    }
    const [bucket, ...key] = segments;
    return { bucket: bucket ?? '', key: key.join('/'), contentType, maxBytes, expiresAt, nonce };
  }
}

function objectPath(bucket: string, key: string): string {
  return [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
}
