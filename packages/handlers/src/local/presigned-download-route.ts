import { NotFoundError } from '@receiptflow/core';
import type { LocalHttpRoutes } from './http-server.js';
import type { PresignedDownloadSource } from './local-adapters.js';

/**
 * `GET /uploads/<bucket>/<key>?expires=&signature=`: the local stand-in for S3 serving a presigned
 * GET, for the buckets whose objects the API hands out (the raw images of `GET /images/{id}` and
 * receipt views; the exports of `GET /export`). The bucket is read from the path to pick the
 * store; that store then checks the signature, which covers the bucket.
 *
 * @example
 * const openDownload = presignedDownloadRoute([adapters.rawImages, adapters.artifacts], '/uploads');
 */
export function presignedDownloadRoute(
  stores: readonly PresignedDownloadSource[],
  basePath = '/uploads',
): NonNullable<LocalHttpRoutes['openDownload']> {
  const byBucket = new Map(stores.map((s) => [s.bucket, s]));
  return async (url) => {
    const path = new URL(url).pathname;
    const bucket = decodeURIComponent(path.slice(basePath.length + 1).split('/')[0] ?? '');
    const store = byBucket.get(bucket);
    if (!store) throw new NotFoundError('bucket', bucket);
    return store.openPresignedDownload(url);
  };
}
