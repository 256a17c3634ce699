/**
 * Local fake HTTP servers standing in for OpenAI embeddings and Google Places (New), on
 * 127.0.0.1, with scripted faults (429, 5xx, Retry-After) and a record of every request: the
 * project never calls the real services in tests.
 *
 * @example
 * ```ts
 * import { startFakeOpenAiServer, startFakePlacesServer } from '@receiptflow/devkit/fake-servers';
 * import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
 *
 * const openai = await startFakeOpenAiServer({ apiKey: 'sk-test', maxConcurrent: 4 });
 * const places = await startFakePlacesServer({ catalog: syntheticCatalog(), faults: [{ status: 429, retryAfterSeconds: 1 }] });
 * const embedder = new OpenAiEmbedder(new OpenAI({ apiKey: 'sk-test', baseURL: openai.baseURL }), { clock });
 * const resolver = new GooglePlacesResolver({ apiKey: 'k', baseUrl: places.url, clock });
 * // ... after one search: the 429, then the retried request
 * expect(places.requests.map((r) => r.status)).toEqual([429, 200]);
 * await Promise.all([openai.close(), places.close()]);
 * ```
 * @packageDocumentation
 */
export {
  startFakeOpenAiServer,
  type FakeOpenAiRequest,
  type FakeOpenAiServer,
  type FakeOpenAiServerOptions,
} from './fake-openai-server.js';
export * from './fake-places-server.js';
