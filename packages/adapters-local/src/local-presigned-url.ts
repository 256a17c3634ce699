import { ValidationError } from '@receiptflow/core';

/** Builds the URL a local image store hands out for a presigned PUT. */
export type LocalPresign = (
  bucket: string,
  key: string,
  contentType: string,
  expiresInSeconds: number,
) => string;

/**
 * The default presigned-URL form of the local image stores:
 * `local://<bucket>/<key, each segment URI-encoded>?content-type=<type>&expires-in=<seconds>`.
 * It is not fetchable; the local runtime hands the URL and the bytes to
 * `acceptPresignedPut(url, bytes, contentType)` of the store that issued it.
 */
export const defaultLocalPresign: LocalPresign = (bucket, key, contentType, expiresInSeconds) =>
  `local://${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}` +
  `?content-type=${encodeURIComponent(contentType)}&expires-in=${expiresInSeconds}`;

/** What a store remembers about a URL it issued. */
export interface PresignedPutGrant {
  key: string;
  contentType: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** Reads bucket and key back from a URL in the default form; null for any other URL. */
export function parseDefaultLocalPresign(url: string): { bucket: string; key: string } | null {
  const match = /^local:\/\/([^/?]+)\/([^?]+)(\?.*)?$/.exec(url);
  if (!match) return null;
  try {
    return {
      bucket: decodeURIComponent(match[1]!),
      key: match[2]!.split('/').map(decodeURIComponent).join('/'),
    };
  } catch {
    throw new ValidationError(`presigned URL "${url}" is malformed`);
  }
}

/**
 * The presigned PUTs a local store issued: which key and content type each URL allows, until
 * when. A URL in the default form that this process did not issue (the store was reopened) is
 * still honoured for its own bucket, without an expiry check, since its issue time is unknown.
 */
export class PresignedPutGrants {
  private readonly grants = new Map<string, PresignedPutGrant>();

  constructor(
    private readonly bucket: string,
    private readonly presign: LocalPresign,
  ) {}

  issue(key: string, contentType: string, expiresInSeconds: number, now: number): string {
    const url = this.presign(this.bucket, key, contentType, expiresInSeconds);
    this.grants.set(url, { key, contentType, expiresAt: now + expiresInSeconds * 1000 });
    return url;
  }

  /** The key a PUT to `url` with `contentType` may write; throws ValidationError otherwise. */
  redeem(url: string, contentType: string, now: number): string {
    const grant = this.grants.get(url) ?? this.fromDefaultForm(url);
    if (!grant) throw new ValidationError(`presigned URL "${url}" was not issued by bucket ${this.bucket}`);
    if (now > grant.expiresAt) throw new ValidationError(`presigned URL for ${grant.key} has expired`);
    if (contentType !== grant.contentType) {
      throw new ValidationError(
        `presigned URL for ${grant.key} allows content type ${grant.contentType}, not ${contentType}`,
      );
    }
    return grant.key;
  }

  private fromDefaultForm(url: string): PresignedPutGrant | null {
    const parsed = parseDefaultLocalPresign(url);
    if (!parsed || parsed.bucket !== this.bucket) return null;
    const contentType = new URL(url.replace(/^local:/, 'http:')).searchParams.get('content-type');
    if (!contentType) return null;
    return { key: parsed.key, contentType, expiresAt: Number.POSITIVE_INFINITY };
  }
}
