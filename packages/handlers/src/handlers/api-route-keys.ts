import type { RouteKey } from '../http/router.js';

/**
 * Every route key the HTTP API serves (the local server serves all of them; on AWS each is
 * served by one API Lambda). The OpenAPI document in docs/ and the infra's API Gateway routes
 * are checked against this list, and a test checks it against the routes the local server
 * actually registers, so a route cannot be added without being documented and deployed.
 *
 * @example
 * for (const key of API_ROUTE_KEYS) expect(openApiPaths(doc)).toContain(key); // 'GET /receipts', ...
 */
export const API_ROUTE_KEYS = [
  'POST /upload-receipt',
  'POST /upload-complete',
  'GET /upload-status',
  'GET /receipts',
  'GET /merchants',
  'GET /receipts/{image_id}/{receipt_id}',
  'PATCH /receipts/{image_id}/{receipt_id}',
  'DELETE /receipts/{image_id}/{receipt_id}',
  'GET /receipts/{image_id}/{receipt_id}/similar',
  'GET /images/{image_id}',
  'GET /places',
  'GET /pipeline',
  'GET /pipeline/dlq/{queue}',
  'POST /pipeline/dlq/{queue}/redrive',
  'GET /export',
] as const satisfies readonly RouteKey[];

export type ApiRouteKey = (typeof API_ROUTE_KEYS)[number];
