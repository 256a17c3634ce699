import { searchPlaces, type SearchPlacesDeps } from '@receiptflow/core';
import { json } from '../http/api-gateway.js';
import type { ApiRoute } from '../http/router.js';

/**
 * `GET /places?query=`: places to correct a receipt's merchant to, the caller's own merchants
 * matching the query first, then the Places service's answer (cached). 400 naming `query` when
 * it is missing or blank.
 *
 * @example
 * const api = createApiRouter(placeRoutes({ catalog, places }), { auth, logger });
 */
export function placeRoutes(deps: SearchPlacesDeps): ApiRoute[] {
  return [
    {
      key: 'GET /places',
      query: ['query'],
      handle: async ({ owner, query }) => json(200, await searchPlaces(deps, owner, query.query)),
    },
  ];
}
