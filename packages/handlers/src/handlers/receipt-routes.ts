import {
  getReceipt,
  IMAGE_URL_SECONDS,
  ownedImage,
  similarReceipts,
  ValidationError,
  NotFoundError,
  type GetReceiptDeps,
  type SimilarReceiptsDeps,
} from '@receiptflow/core';
import { json } from '../http/api-gateway.js';
import type { ApiRoute } from '../http/router.js';

/** Default neighbours of `GET …/similar` when `k` is not given. */
export const DEFAULT_SIMILAR_K = 5;

/**
 * `GET /receipts/{image_id}/{receipt_id}` (the receipt with fields, merchant, lines, words,
 * routing, stage and a short-lived image URL) and `GET /images/{image_id}` (302 to a presigned
 * GET of the uploaded image). Both answer 404 for an unknown id and for another owner's.
 *
 * @example
 * const api = createApiRouter(receiptReadRoutes({ jobs, receipts, runs, images: raw }), { auth, logger });
 */
export function receiptReadRoutes(deps: GetReceiptDeps): ApiRoute[] {
  return [
    {
      key: 'GET /receipts/{image_id}/{receipt_id}',
      query: [],
      handle: async ({ owner, params }) =>
        json(200, await getReceipt(deps, owner, params.image_id!, receiptIdParam(params.receipt_id))),
    },
    {
      key: 'GET /images/{image_id}',
      query: [],
      handle: async ({ owner, params }) => {
        const image = await ownedImage(deps.jobs, owner, params.image_id!);
        // An upload whose bytes never arrived has nothing to show: as absent as an unknown id.
        if (image.upload_state !== 'UPLOADED') throw new NotFoundError('image', image.image_id);
        const { url } = await deps.images.presignDownload(image.s3_key, { expiresInSeconds: IMAGE_URL_SECONDS });
        return { statusCode: 302, headers: { location: url, 'cache-control': 'no-store' }, body: '' };
      },
    },
  ];
}

/**
 * `GET /receipts/{image_id}/{receipt_id}/similar?k=`: the k (default {@link DEFAULT_SIMILAR_K},
 * at most 50) nearest receipts of the same owner, through the vector index.
 *
 * @example
 * const api = createApiRouter(similarReceiptRoutes({ jobs, receipts, vectors }), { auth, logger });
 */
export function similarReceiptRoutes(deps: SimilarReceiptsDeps): ApiRoute[] {
  return [
    {
      key: 'GET /receipts/{image_id}/{receipt_id}/similar',
      query: ['k'],
      handle: async ({ owner, params, query }) => {
        const k = query.k === undefined ? DEFAULT_SIMILAR_K : integerParam('k', query.k);
        return json(200, await similarReceipts(deps, owner, params.image_id!, receiptIdParam(params.receipt_id), k));
      },
    },
  ];
}

/** A receipt id from a path: digits only (a receipt id is an integer), else a 400 naming receipt_id. */
export function receiptIdParam(raw: string | undefined): number {
  return integerParam('receipt_id', raw ?? '');
}

/** A decimal integer parameter, else ValidationError naming it (the use case checks the range). */
export function integerParam(name: string, raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) {
    throw new ValidationError(`invalid ${name}`, [`${name} ${JSON.stringify(raw.slice(0, 40))} is not an integer`]);
  }
  return Number(raw);
}
