import {
  assertReceiptId,
  correctReceipt,
  deleteReceipt,
  getReceipt,
  ValidationError,
  type CorrectReceiptDeps,
  type DeleteReceiptDeps,
  type GetReceiptDeps,
} from '@receiptflow/core';
import { bodyBytes, json, type HttpApiEvent } from '../http/api-gateway.js';
import { mediaType } from '../http/upload-request.js';
import type { ApiRoute } from '../http/router.js';
import { imageIdParam, receiptIdParam } from './receipt-routes.js';

/** What the change routes call: a correction (then the receipt view it answers with) and a delete. */
export type ReceiptChangeDeps = CorrectReceiptDeps & DeleteReceiptDeps & GetReceiptDeps;

/**
 * `PATCH /receipts/{image_id}/{receipt_id}` (a JSON correction, `correctReceipt`'s patch:
 * `{merchant?: {place_id}, fields?: {date?, total?, subtotal?, tax?, payment_method?}}`; answers
 * 200 with the corrected receipt as `GET` shows it) and `DELETE` of the same path (204; a repeat
 * is 204 too). A body that is not `application/json`, or not JSON, is a 400 naming `body`; an
 * unknown or invalid field a 400 naming it; another owner's receipt 404.
 *
 * @example
 * const api = createApiRouter(receiptChangeRoutes({ jobs, receipts, runs, places, images: raw, artifacts, clock }), { auth, logger });
 * await api(event); // PATCH /receipts/img-1/1 {"fields":{"date":"2024-03-09"}} → 200 { receipt: {...}, merchant, lines, ... }
 */
export function receiptChangeRoutes(deps: ReceiptChangeDeps): ApiRoute[] {
  return [
    {
      key: 'PATCH /receipts/{image_id}/{receipt_id}',
      query: [],
      handle: async ({ event, owner, params }) => {
        const [imageId, receiptId] = receiptPath(params);
        await correctReceipt(deps, owner, imageId, receiptId, jsonPatchBody(event));
        return json(200, await getReceipt(deps, owner, imageId, receiptId));
      },
    },
    {
      key: 'DELETE /receipts/{image_id}/{receipt_id}',
      query: [],
      handle: async ({ owner, params }) => {
        const [imageId, receiptId] = receiptPath(params);
        await deleteReceipt(deps, owner, imageId, receiptId);
        return { statusCode: 204, body: '' };
      },
    },
  ];
}

/** The path's ids, checked before any store is read (a 400 naming the malformed one). */
function receiptPath(params: Record<string, string>): [string, number] {
  const imageId = imageIdParam(params.image_id);
  const receiptId = receiptIdParam(params.receipt_id);
  assertReceiptId(receiptId);
  return [imageId, receiptId];
}

/**
 * The request's JSON body. Anything but `application/json` (charset aside) is refused before it
 * is read, and so is a body that does not parse: a form or a text body must never reach the
 * use case as "nothing to change".
 */
export function jsonPatchBody(event: HttpApiEvent): unknown {
  const type = mediaType(event);
  if (type !== 'application/json') {
    throw new ValidationError('invalid request', [
      `body: content-type must be application/json, not ${type ? JSON.stringify(type) : 'missing'}`,
    ]);
  }
  const text = Buffer.from(bodyBytes(event)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('invalid request', [
      text.trim() === '' ? 'body: is empty, expected a JSON object' : 'body: is not valid JSON',
    ]);
  }
}
