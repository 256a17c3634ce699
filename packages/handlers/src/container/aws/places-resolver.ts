import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbPlacesCache } from '@receiptflow/adapters-aws/dynamodb';
import { GooglePlacesResolver } from '@receiptflow/adapters-aws/places';
import { CachingPlacesResolver, type Clock } from '@receiptflow/core';
import type { PLACES_CALL_LIMITS } from './external-call-limits.js';

/** The Places variables of a function's config (process-OCR-results, receipts-change). */
export interface PlacesConfig {
  TABLE_NAME: string;
  GOOGLE_PLACES_API_KEY: string;
  GOOGLE_PLACES_BASE_URL?: string | undefined;
  PLACES_PHONE_COUNTRY?: string | undefined;
}

/**
 * Google Places behind the table's Places cache: what merchant resolution (process-OCR-results)
 * and the merchant search of `GET /places` (receipts-change) both call, each with its own limits.
 *
 * @example
 * options.bind(TOKENS.Places).toDynamicValue((ctx) => cachedGooglePlaces(config, doc(), ctx.get(TOKENS.Clock), PLACES_CALL_LIMITS));
 */
export function cachedGooglePlaces(
  config: PlacesConfig,
  doc: DynamoDBDocumentClient,
  clock: Clock,
  limits: { readonly [K in keyof typeof PLACES_CALL_LIMITS]: number },
): CachingPlacesResolver {
  return new CachingPlacesResolver(
    new GooglePlacesResolver({
      apiKey: config.GOOGLE_PLACES_API_KEY,
      clock,
      ...limits,
      ...(config.GOOGLE_PLACES_BASE_URL ? { baseUrl: config.GOOGLE_PLACES_BASE_URL } : {}),
    }),
    new DynamoDbPlacesCache(doc, { tableName: config.TABLE_NAME, clock }),
    clock,
    config.PLACES_PHONE_COUNTRY ? { phoneCountry: config.PLACES_PHONE_COUNTRY } : {},
  );
}
