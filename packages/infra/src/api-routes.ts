import type { FunctionName } from './function-specs.js';

/**
 * The routes of the HTTP API, each with the one function that serves it: every route has its own
 * integration target, and each function's invoke permission names only its own routes, so a
 * route can invoke no other function. Pure (no Pulumi), so the handlers' tests check that each
 * function's router serves exactly its routes (packages/handlers/tests/iam-receipt-api.test.ts).
 */
export const API_ROUTES = {
  'POST /upload-receipt': 'upload',
  'POST /upload-complete': 'upload',
  'GET /upload-status': 'upload',
  'GET /receipts': 'receipts-read',
  'GET /merchants': 'receipts-read',
  'GET /receipts/{image_id}/{receipt_id}': 'receipts-read',
  'PATCH /receipts/{image_id}/{receipt_id}': 'receipts-change',
  'DELETE /receipts/{image_id}/{receipt_id}': 'receipts-change',
  'GET /receipts/{image_id}/{receipt_id}/similar': 'receipts-read',
  'GET /images/{image_id}': 'receipts-read',
  'GET /places': 'receipts-change',
  'GET /pipeline': 'pipeline',
  'GET /pipeline/dlq/{queue}': 'pipeline',
  'POST /pipeline/dlq/{queue}/redrive': 'pipeline',
  'GET /export': 'receipts-export',
} as const satisfies Record<string, FunctionName>;
export type ApiRouteKey = keyof typeof API_ROUTES;

/** The functions the API invokes, in the order of their first route. */
export const API_FUNCTIONS: FunctionName[] = [...new Set<FunctionName>(Object.values(API_ROUTES))];

/** The route keys `fn` serves. */
export function routesOf(fn: FunctionName): ApiRouteKey[] {
  return (Object.keys(API_ROUTES) as ApiRouteKey[]).filter((k) => API_ROUTES[k] === fn);
}

/**
 * The `execute-api` resource path of a route, for an invoke permission's source ARN:
 * `<METHOD>/<path>`, each `{param}` a `*` (the ARN carries the request's path, not the template).
 *
 * @example
 * routeArnPath('GET /receipts/{image_id}/{receipt_id}') // 'GET/receipts/*\/*'
 */
export function routeArnPath(route: string): string {
  const [method, path] = route.split(' ') as [string, string];
  return `${method}${path.replace(/\{[a-z_]+\}/g, '*')}`;
}

/** A logical resource name from a route key: `GET /images/{image_id}` → `get-images-image-id`. */
export function routeLogicalName(route: string): string {
  return route
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
