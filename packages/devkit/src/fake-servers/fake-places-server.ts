import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CatalogPlacesResolver } from '@receiptflow/adapters-local';
import type { PlaceCandidate } from '@receiptflow/core';

/** A scripted failure, served instead of the next real answer. */
export interface FakePlacesFault {
  /** e.g. 429, 500, 503, 403. */
  status: number;
  /** Sent as the Retry-After header, in seconds. */
  retryAfterSeconds?: number;
  /** Google's error.message; a sensible default per status otherwise. */
  message?: string;
}

export interface FakePlacesServerOptions {
  catalog: readonly PlaceCandidate[];
  /** Served in order to the first requests, one fault per request. */
  faults?: readonly FakePlacesFault[];
  /** When set, any other key gets 403 PERMISSION_DENIED, as Google answers a bad key. */
  apiKey?: string;
}

/** One request as the server saw it, for assertions on headers and body. */
export interface FakePlacesRequest {
  method: string;
  path: string;
  apiKey: string | undefined;
  fieldMask: string | undefined;
  body: unknown;
  status: number;
  /**
   * The Text Search SKU Google would bill for this request's field mask (the highest tier of any
   * field asked for); null for a request refused before the mask was read.
   */
  sku: FakePlacesSku | null;
}

/** Text Search (New) SKUs, cheapest first, as Google's billing names them. */
export const FAKE_PLACES_SKUS = [
  'Text Search Essentials (IDs Only)',
  'Text Search Pro',
  'Text Search Enterprise',
  'Text Search Enterprise + Atmosphere',
] as const;
/**
 * Place Details (New) SKUs, cheapest first. The tiers follow the Text Search table below, except
 * that address fields bill at Essentials here (they are Pro in Text Search).
 */
export const FAKE_PLACE_DETAILS_SKUS = [
  'Place Details Essentials (IDs Only)',
  'Place Details Essentials',
  'Place Details Pro',
  'Place Details Enterprise',
  'Place Details Enterprise + Atmosphere',
] as const;
export type FakePlacesSku = (typeof FAKE_PLACES_SKUS)[number] | (typeof FAKE_PLACE_DETAILS_SKUS)[number];

/** Fields Place Details bills at Essentials (Text Search bills them at Pro). */
const DETAILS_ESSENTIALS = new Set([
  'addressComponents',
  'adrFormatAddress',
  'formattedAddress',
  'location',
  'plusCode',
  'postalAddress',
  'shortFormattedAddress',
  'types',
  'viewport',
]);

/**
 * Google's field-to-SKU table for Text Search (New), kept here on its own (not imported from the
 * adapter) so a test of the adapter's mask checks it against an independent copy. Fields not
 * listed bill at the top tier, as a wildcard does.
 */
const FIELD_TIERS: Record<string, (typeof FAKE_PLACES_SKUS)[number]> = Object.fromEntries([
  ...['id', 'name', 'attributions', 'photos', 'nextPageToken'].map((f) => [f, FAKE_PLACES_SKUS[0]]),
  ...[
    'accessibilityOptions',
    'addressComponents',
    'adrFormatAddress',
    'businessStatus',
    'containingPlaces',
    'displayName',
    'formattedAddress',
    'googleMapsLinks',
    'googleMapsUri',
    'iconBackgroundColor',
    'iconMaskBaseUri',
    'location',
    'plusCode',
    'postalAddress',
    'primaryType',
    'primaryTypeDisplayName',
    'pureServiceAreaBusiness',
    'shortFormattedAddress',
    'subDestinations',
    'types',
    'utcOffsetMinutes',
    'viewport',
  ].map((f) => [f, FAKE_PLACES_SKUS[1]]),
  ...[
    'currentOpeningHours',
    'currentSecondaryOpeningHours',
    'internationalPhoneNumber',
    'nationalPhoneNumber',
    'priceLevel',
    'priceRange',
    'rating',
    'regularOpeningHours',
    'regularSecondaryOpeningHours',
    'userRatingCount',
    'websiteUri',
  ].map((f) => [f, FAKE_PLACES_SKUS[2]]),
]);

/** The SKU a field mask bills at: the highest tier among its fields; `*` is the top tier. */
export function fakePlacesSku(fieldMask: string): (typeof FAKE_PLACES_SKUS)[number] {
  let rank = 0;
  for (const path of fieldMask.split(',').map((p) => p.trim())) {
    if (path === '') continue;
    const field = path.replace(/^places\./, '').split('.')[0]!;
    const tier = path === '*' || field === '*' ? FAKE_PLACES_SKUS[3] : (FIELD_TIERS[field] ?? FAKE_PLACES_SKUS[3]);
    rank = Math.max(rank, FAKE_PLACES_SKUS.indexOf(tier));
  }
  return FAKE_PLACES_SKUS[rank]!;
}

/** The Place Details SKU of a field mask (fields unprefixed): the highest tier among its fields. */
export function fakePlaceDetailsSku(fieldMask: string): (typeof FAKE_PLACE_DETAILS_SKUS)[number] {
  let rank = 0;
  for (const path of fieldMask.split(',').map((p) => p.trim())) {
    if (path === '') continue;
    const field = path.split('.')[0]!;
    const textTier = field === '*' ? 3 : FAKE_PLACES_SKUS.indexOf(FIELD_TIERS[field] ?? FAKE_PLACES_SKUS[3]);
    // Text Search tiers 0..3 are IDs Only, Pro, Enterprise, Atmosphere; Details adds Essentials at 1.
    const tier = textTier === 0 ? 0 : DETAILS_ESSENTIALS.has(field) ? 1 : textTier + 1;
    rank = Math.max(rank, tier);
  }
  return FAKE_PLACE_DETAILS_SKUS[rank]!;
}

export interface FakePlacesServer {
  /** Base URL to pass as GooglePlacesResolver's `baseUrl`. */
  url: string;
  /** Every request, faults included, in arrival order. */
  readonly requests: readonly FakePlacesRequest[];
  readonly requestCount: number;
  /** Queues more faults for the next requests. */
  injectFaults(...faults: FakePlacesFault[]): void;
  /**
   * An outage: while down, every request is answered 503 UNAVAILABLE (after any queued faults);
   * `setDown(false)` brings the service back.
   */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/**
 * A stand-in for Places API (New) `POST /v1/places:searchText` and Place Details
 * `GET /v1/places/{id}` (404 NOT_FOUND for an id the catalog lacks) on 127.0.0.1, answering in the
 * documented shape (places[].id, displayName.text, formattedAddress, nationalPhoneNumber,
 * internationalPhoneNumber). Like Google it requires X-Goog-FieldMask (400 without it),
 * returns ONLY the masked fields, so a resolver that reads an unmasked field sees it missing,
 * and records the SKU the mask would bill at (`requests[].sku`), so a test can hold each call
 * to the cheapest tier that serves it.
 * Matching is the local catalog's: phone-looking queries by phone, others by fuzzy text.
 */
export async function startFakePlacesServer(options: FakePlacesServerOptions): Promise<FakePlacesServer> {
  const catalog = new CatalogPlacesResolver(options.catalog);
  const faults = [...(options.faults ?? [])];
  let down = false;
  const requests: FakePlacesRequest[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => sendError(res, 500, String(error)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const record: FakePlacesRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      apiKey: header(req, 'x-goog-api-key'),
      fieldMask: header(req, 'x-goog-fieldmask'),
      body: parseJson(raw),
      status: 200,
      sku: null,
    };
    requests.push(record);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, message: string, headers: Record<string, string> = {}) =>
      reply(status, { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } }, headers);

    const fault = faults.shift();
    if (fault) {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      return fail(fault.status, fault.message ?? `injected fault ${fault.status}`, headers);
    }
    if (down) return fail(503, 'The service is currently unavailable.');
    const details = req.method === 'GET' ? /^\/v1\/places\/([^/?:]+)$/.exec(record.path) : null;
    if (!details && (req.method !== 'POST' || record.path !== '/v1/places:searchText')) {
      return fail(404, `no such method: ${req.method} ${record.path}`);
    }
    if (options.apiKey !== undefined && record.apiKey !== options.apiKey) {
      return fail(403, 'API key not valid. Please pass a valid API key.');
    }
    if (!record.fieldMask) {
      return fail(
        400,
        'FieldMask is a required parameter. See https://cloud.google.com/apis/docs/system-parameters on how to provide it.',
      );
    }
    if (details) {
      record.sku = fakePlaceDetailsSku(record.fieldMask);
      const place = await catalog.getPlace(decodeURIComponent(details[1]!));
      if (!place) return fail(404, `Place ID ${details[1]} not found.`);
      return reply(200, maskedDetails(toApiPlace(place), record.fieldMask));
    }
    record.sku = fakePlacesSku(record.fieldMask);
    const body = record.body as { textQuery?: unknown; maxResultCount?: unknown } | undefined;
    if (typeof body?.textQuery !== 'string' || body.textQuery.trim() === '') {
      return fail(400, 'Invalid request: textQuery is required.');
    }
    const limit = typeof body.maxResultCount === 'number' ? Math.min(20, Math.max(1, body.maxResultCount)) : 20;
    const found = looksLikePhone(body.textQuery)
      ? await catalog.findByPhone(body.textQuery)
      : await catalog.searchText(body.textQuery);
    const places = found.slice(0, limit).map((place) => masked(toApiPlace(place), record.fieldMask!));
    // Google answers an empty result as {}, not { places: [] }.
    return reply(200, places.length === 0 ? {} : { places });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get requestCount() {
      return requests.length;
    },
    injectFaults: (...more) => faults.push(...more),
    setDown: (value) => {
      down = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function toApiPlace(place: PlaceCandidate): Record<string, unknown> {
  const national = place.phone ?? undefined;
  const digits = (national ?? '').replace(/\D/g, '');
  return {
    id: place.place_id,
    displayName: { text: place.name, languageCode: 'en' },
    ...(place.formatted_address === null ? {} : { formattedAddress: place.formatted_address }),
    ...(national === undefined ? {} : { nationalPhoneNumber: national }),
    ...(digits.length === 10
      ? { internationalPhoneNumber: `+1 ${digits.slice(0, 3)}-${digits.slice(3, 6)}-${digits.slice(6)}` }
      : {}),
  };
}

/** Keeps only the fields named `places.<field>` in the mask; `*` or `places.*` keeps all. */
function masked(place: Record<string, unknown>, fieldMask: string): Record<string, unknown> {
  const paths = fieldMask.split(',').map((path) => path.trim());
  if (paths.includes('*') || paths.includes('places.*') || paths.includes('places')) return place;
  const fields = new Set(paths.filter((p) => p.startsWith('places.')).map((p) => p.slice('places.'.length)));
  return Object.fromEntries(Object.entries(place).filter(([key]) => fields.has(key)));
}

/** Place Details masks name the place's own fields (no `places.` prefix); `*` keeps all. */
function maskedDetails(place: Record<string, unknown>, fieldMask: string): Record<string, unknown> {
  const fields = new Set(fieldMask.split(',').map((path) => path.trim()));
  if (fields.has('*')) return place;
  return Object.fromEntries(Object.entries(place).filter(([key]) => fields.has(key)));
}

/** A query of digits and phone punctuation (optionally "TEL"): Google finds the number's owner. */
function looksLikePhone(query: string): boolean {
  const digitCount = query.replace(/\D/g, '').length;
  const letters = query.replace(/^\s*(tel|phone)\s*:?/i, '').replace(/[^a-z]/gi, '').length;
  return digitCount >= 7 && letters === 0;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } }));
}
