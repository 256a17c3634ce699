import {
  getReceipt,
  IdSchema,
  IMAGE_URL_SECONDS,
  listMerchants,
  listReceipts,
  ownedImage,
  similarReceipts,
  ValidationError,
  NotFoundError,
  type GetReceiptDeps,
  type ListReceiptsQuery,
  type ReceiptQueryDeps,
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

/** The filters of a listing, as query parameters (`GET /receipts`, `GET /export`). */
export const LIST_FILTER_PARAMS = ['merchant', 'from', 'to', 'min', 'max', 'text'] as const;

/**
 * `GET /receipts?merchant&from&to&min&max&text&limit&cursor` (the owner's receipts, newest
 * first, one page: `{receipts, next_cursor}`) and `GET /merchants` (`{merchants}`: place,
 * receipt count, last seen). A bad filter, cursor or page size is a 400 naming it.
 *
 * @example
 * const api = createApiRouter(receiptListRoutes({ catalog }), { auth, logger });
 * await api(event); // GET /receipts?merchant=ChIJ…&limit=10 → 200 { receipts: [...], next_cursor: 'eyJ2…' }
 */
export function receiptListRoutes(deps: ReceiptQueryDeps): ApiRoute[] {
  return [
    {
      key: 'GET /receipts',
      query: [...LIST_FILTER_PARAMS, 'limit', 'cursor'],
      handle: async ({ owner, query }) => {
        const { limit, cursor, ...filters } = query;
        return json(
          200,
          await listReceipts(deps, owner, {
            ...listFilters(filters),
            ...(limit === undefined ? {} : { limit: integerParam('limit', limit) }),
            ...(cursor === undefined ? {} : { cursor }),
          }),
        );
      },
    },
    {
      key: 'GET /merchants',
      query: [],
      handle: async ({ owner }) => json(200, await listMerchants(deps, owner)),
    },
  ];
}

/**
 * The listing filters of a query string as listReceipts takes them: `min`/`max` read as decimal
 * numbers (else a 400 naming them); the rest as given, for the use case's schema to check.
 * Keys other than {@link LIST_FILTER_PARAMS} are left to the router, which refuses them.
 */
export function listFilters(query: Record<string, string>): Omit<ListReceiptsQuery, 'limit' | 'cursor'> {
  const filters: Omit<ListReceiptsQuery, 'limit' | 'cursor'> = {};
  for (const name of LIST_FILTER_PARAMS) {
    const raw = query[name];
    if (raw === undefined) continue;
    if (name === 'min' || name === 'max') filters[name] = amountParam(name, raw);
    else filters[name] = raw;
  }
  return filters;
}

/** An amount in major units (`12.5`, `-3`), else ValidationError naming the parameter. */
function amountParam(name: string, raw: string): number {
  if (!/^-?\d{1,12}(\.\d{1,6})?$/.test(raw)) {
    throw new ValidationError(`invalid ${name}`, [
      `${name} ${JSON.stringify(raw.slice(0, 40))} is not an amount (major units, e.g. 12.50)`,
    ]);
  }
  return Number(raw);
}

/** An image id from a path, else ValidationError naming image_id. */
export function imageIdParam(raw: string | undefined): string {
  const id = raw ?? '';
  if (!IdSchema.safeParse(id).success) {
    throw new ValidationError('invalid image_id', [`image_id ${JSON.stringify(id.slice(0, 140))} is not an id`]);
  }
  return id;
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
