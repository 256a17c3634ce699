import { DependencyError, TransientDependencyError } from '@receiptflow/core';
import type { Clock, PlaceCandidate, PlacesResolver } from '@receiptflow/core';
import {
  PLACE_DETAILS_FIELD_MASK,
  PHONE_LOOKUP_FIELD_MASK,
  TEXT_SEARCH_FIELD_MASK,
  PlacesApiErrorSchema,
  PlacesApiPlaceSchema,
  SearchTextResponseSchema,
  toPlaceCandidate,
} from './places-api.js';
import type { PlacesApiPlace } from './places-api.js';

export interface GooglePlacesResolverConfig {
  apiKey: string;
  /** Default https://places.googleapis.com; tests point it at the fake server. */
  baseUrl?: string;
  /** Default the global fetch (Node 20). */
  fetch?: typeof fetch;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  /** Retries after the first attempt for 429, 5xx, timeouts and network errors. Default 3. */
  maxRetries?: number;
  /** First backoff step, doubled per retry. Default 250 ms. */
  baseDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the error is raised (retryable) instead. Default 20 s. */
  maxRetryDelayMs?: number;
  /**
   * Sleeps between retries and resolves an HTTP-date Retry-After: SystemClock in the composition
   * root, a fake in tests (backoff observed without waiting).
   */
  clock: Clock;
}

/** How often each lookup reached Google (retries of one lookup count once). */
export interface PlacesCallCounts {
  phone: number;
  text: number;
  /** Place Details by id (`getPlace`). */
  details: number;
  total: number;
}

const DEPENDENCY = 'places';
const MIN_PHONE_DIGITS = 8;
const MAX_RESULTS = 5;

/**
 * PlacesResolver on Google Places API (New) `places:searchText`. A text search asks for id,
 * name and address only ({@link TEXT_SEARCH_FIELD_MASK}: billed as Text Search Pro), so its
 * candidates carry `phone: null`. A phone lookup is a text search on the number that also asks
 * for the phone numbers ({@link PHONE_LOOKUP_FIELD_MASK}: Text Search Enterprise), keeping only
 * results whose own number matches, since Google also returns places that merely mention
 * similar digits. `getPlace` is Place Details (`GET /v1/places/{id}`, {@link PLACE_DETAILS_FIELD_MASK}:
 * Place Details Enterprise, for the phone); Google's 404 NOT_FOUND, or 400 INVALID_ARGUMENT for an
 * id that is not a place id, answers null. 429/5xx are retried with backoff honouring Retry-After, then raised as
 * TransientDependencyError; other 4xx become DependencyError.
 */
export class GooglePlacesResolver implements PlacesResolver {
  readonly calls: PlacesCallCounts = { phone: 0, text: 0, details: 0, total: 0 };
  private readonly base: string;
  private readonly fetchFn: typeof fetch;

  /**
   * Throws DependencyError without an API key; `baseUrl` points tests at a local fake server.
   *
   * @example
   * const places = new GooglePlacesResolver({ apiKey, clock: new SystemClock(), timeoutMs: 5_000 });
   * const [best] = await places.searchText('Harbor Lane Grocery 12 Quay St');
   */
  constructor(private readonly config: GooglePlacesResolverConfig) {
    if (!config.apiKey) throw new DependencyError(DEPENDENCY, 'no API key configured');
    this.base = (config.baseUrl ?? 'https://places.googleapis.com').replace(/\/+$/, '');
    this.fetchFn = config.fetch ?? globalThis.fetch;
  }

  async findByPhone(phone: string): Promise<PlaceCandidate[]> {
    const wanted = digits(phone);
    if (wanted.length < MIN_PHONE_DIGITS) return [];
    this.count('phone');
    const places = await this.search(phone.trim(), PHONE_LOOKUP_FIELD_MASK);
    return places
      .filter((place) =>
        [place.nationalPhoneNumber, place.internationalPhoneNumber].some((number) =>
          samePhone(digits(number ?? ''), wanted),
        ),
      )
      .map(toPlaceCandidate);
  }

  async searchText(query: string): Promise<PlaceCandidate[]> {
    const text = query.trim();
    if (text === '') return [];
    this.count('text');
    return (await this.search(text, TEXT_SEARCH_FIELD_MASK)).map(toPlaceCandidate);
  }

  async getPlace(placeId: string): Promise<PlaceCandidate | null> {
    const id = placeId.trim();
    if (id === '') return null;
    this.count('details');
    const outcome = await this.withRetries('getPlace', () =>
      this.attempt('getPlace', `${this.base}/v1/places/${encodeURIComponent(id)}`, PLACE_DETAILS_FIELD_MASK),
    );
    if (outcome === null) return null;
    const parsed = PlacesApiPlaceSchema.safeParse(outcome);
    if (!parsed.success) throw unexpectedShape('getPlace', parsed.error.issues);
    return toPlaceCandidate(parsed.data);
  }

  private count(kind: keyof Omit<PlacesCallCounts, 'total'>): void {
    this.calls[kind]++;
    this.calls.total++;
  }

  private async search(textQuery: string, fieldMask: string): Promise<PlacesApiPlace[]> {
    const body = await this.withRetries('searchText', () =>
      this.attempt('searchText', `${this.base}/v1/places:searchText`, fieldMask, {
        textQuery,
        maxResultCount: MAX_RESULTS,
      }),
    );
    const parsed = SearchTextResponseSchema.safeParse(body);
    if (!parsed.success) throw unexpectedShape('searchText', parsed.error.issues);
    return parsed.data.places ?? [];
  }

  /** Retries one call's retryable outcomes with backoff (honouring Retry-After), then gives up. */
  private async withRetries(what: string, attemptOnce: () => Promise<Attempt>): Promise<unknown> {
    const maxRetries = this.config.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const outcome = await attemptOnce();
      if ('json' in outcome) return outcome.json;
      const delay = Math.max((this.config.baseDelayMs ?? 250) * 2 ** attempt, outcome.retryAfterMs ?? 0);
      if (attempt >= maxRetries || delay > (this.config.maxRetryDelayMs ?? 20_000)) {
        throw new TransientDependencyError(
          DEPENDENCY,
          `${what} failed after ${attempt + 1} attempt(s): ${outcome.reason}`,
          { cause: outcome.cause },
        );
      }
      await this.config.clock.sleep(delay);
    }
  }

  /**
   * One HTTP call: the JSON answer (null for a place id Google does not know, on `GET`), or why
   * it may be worth retrying. Permanent failures throw.
   */
  private async attempt(what: string, url: string, fieldMask: string, body?: unknown): Promise<Attempt> {
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          'X-Goog-Api-Key': this.config.apiKey,
          'X-Goog-FieldMask': fieldMask,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // A per-request deadline on the socket, not a wait of ours: it is fetch's own timer, and
        // a fake clock could not stop a real request anyway.
        signal: AbortSignal.timeout(this.config.timeoutMs ?? 10_000),
      });
    } catch (error) {
      return { reason: `request did not complete: ${describe(error)}`, cause: error };
    }
    const text = await response.text().catch(() => '');
    if (response.status === 429 || response.status >= 500) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.config.clock.now());
      return {
        reason: `HTTP ${response.status}${googleMessage(text)}`,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    // A place id Google does not know (404), or one that is not a place id at all (400
    // INVALID_ARGUMENT): the caller's "no such place", not a failure of the service.
    if (body === undefined && (response.status === 404 || googleStatus(text) === 'INVALID_ARGUMENT')) {
      return { json: null };
    }
    if (!response.ok) {
      throw new DependencyError(DEPENDENCY, `${what} refused with HTTP ${response.status}${googleMessage(text)}`);
    }
    try {
      return { json: JSON.parse(text) as unknown };
    } catch (error) {
      throw new DependencyError(DEPENDENCY, `${what} answered HTTP ${response.status} with a body that is not JSON`, {
        cause: error,
      });
    }
  }
}

type Attempt = { json: unknown } | { reason: string; retryAfterMs?: number; cause?: unknown };

function unexpectedShape(what: string, issues: Array<{ path: PropertyKey[]; message: string }>): DependencyError {
  const text = issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ');
  return new DependencyError(DEPENDENCY, `${what} answered in an unexpected shape: ${text}`);
}

/** Google's error status (`NOT_FOUND`, `INVALID_ARGUMENT`, …), if the body is its error envelope. */
function googleStatus(body: string): string | undefined {
  try {
    const parsed = PlacesApiErrorSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data.error.status : undefined;
  } catch {
    return undefined;
  }
}

/** ` PERMISSION_DENIED: API key not valid…` from Google's error envelope, or the raw body. */
function googleMessage(body: string): string {
  try {
    const parsed = PlacesApiErrorSchema.safeParse(JSON.parse(body));
    if (parsed.success) {
      const { status, message } = parsed.data.error;
      return ` ${[status, message].filter(Boolean).join(': ')}`;
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  const text = body.trim().slice(0, 200);
  return text ? ` ${text}` : '';
}

/** Retry-After in seconds or as an HTTP date. */
function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.name === 'TimeoutError' ? 'timed out' : `${error.name}: ${error.message}`;
  return String(error);
}

function digits(text: string): string {
  return text.replace(/\D/g, '');
}

/** The shorter number must be a suffix of the longer, so +1 / 001 prefixes do not matter. */
function samePhone(a: string, b: string): boolean {
  if (a.length < MIN_PHONE_DIGITS || b.length < MIN_PHONE_DIGITS) return false;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return long.endsWith(short);
}
