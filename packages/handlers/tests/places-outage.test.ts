import { afterEach, describe, expect, it } from 'vitest';
import {
  CachingPlacesResolver,
  MAX_MERCHANT_ATTEMPTS,
  getUploadStatus,
  processOcrResults,
  recoverUnfinishedWork,
  type Clock,
  type ProcessOcrResultsDeps,
} from '@receiptflow/core';
import { InMemoryPlacesCache } from '@receiptflow/adapters-local';
import { OpenAiEmbedder, OpenAiEmbeddingsClient } from '@receiptflow/adapters-aws/openai';
import { GooglePlacesResolver } from '@receiptflow/adapters-aws/places';
import {
  startFakeOpenAiServer,
  startFakePlacesServer,
  type FakeOpenAiServer,
  type FakePlacesServer,
} from '@receiptflow/devkit/fake-servers';
import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { localPipeline, ocrDone, type LocalPipeline } from './support/local-pipeline.js';

/**
 * Issue 20, item 6: Places through the real clients (GooglePlacesResolver, OpenAiEmbedder with
 * the OpenAI SDK) against the fake servers, the rest of the pipeline local. What a Places outage
 * costs in embeddings, where the receipt goes while Places is down, and how many Places calls a
 * receipt makes.
 */
describe('Places outage and Places calls per receipt (real clients, fake servers)', () => {
  let openai: FakeOpenAiServer | undefined;
  let places: FakePlacesServer | undefined;
  afterEach(async () => {
    await Promise.all([openai?.close(), places?.close()]);
    openai = places = undefined;
  });

  /** No waiting between Places retries: the outage is the fake's, not a timer's. */
  const noWait = (p: LocalPipeline): Clock => ({ now: () => p.adapters.clock.now(), sleep: async () => {} });

  async function setUp() {
    const p = await localPipeline();
    openai = await startFakeOpenAiServer({ apiKey: 'sk-test' });
    places = await startFakePlacesServer({ catalog: syntheticCatalog(), apiKey: 'places-key' });
    const embedder = new OpenAiEmbedder(new OpenAiEmbeddingsClient({ apiKey: 'sk-test', baseURL: openai.baseURL }), {
      clock: noWait(p),
      dimensions: p.adapters.embedder.dimensions, // the local index is built for the hashing embedder's
      maxRetries: 0,
    });
    const google = new GooglePlacesResolver({
      apiKey: 'places-key',
      baseUrl: places.url,
      clock: noWait(p),
      maxRetries: 1,
    });
    const a = p.adapters;
    const deps: ProcessOcrResultsDeps = {
      jobs: a.jobs,
      receipts: a.receipts,
      runs: a.runs,
      artifacts: a.artifacts,
      deltas: a.deltas,
      embedder,
      vectors: a.vectors,
      places: new CachingPlacesResolver(google, new InMemoryPlacesCache(), a.clock),
      clock: a.clock,
      logger: p.logger,
    };
    return { p, deps, openai, places, google };
  }

  /** The scheduled sweep, an hour on: everything is older than its cut-off. */
  const sweep = (p: LocalPipeline) =>
    recoverUnfinishedWork(
      {
        jobs: p.adapters.jobs,
        receipts: p.adapters.receipts,
        runs: p.adapters.runs,
        ocrQueue: p.adapters.ocrQueue,
        resultsQueue: p.adapters.resultsQueue,
        compactionQueue: p.adapters.compactionQueue,
      },
      { now: p.adapters.clock.now() + 3_600_000, olderThanMs: 0 },
    );

  const embedded = (server: FakeOpenAiServer) =>
    server.requests.filter((r) => r.status === 200).reduce((n, r) => n + r.inputs, 0);

  it('Places down: the receipt is stored PENDING after embedding only its signature lines; the sweep retries it and, Places back, the merchant fills in with no embedding call', async () => {
    const { p, deps, openai, places } = await setUp();
    const receipt = await ocrDone(p, 0);
    places.setDown(true);
    const first = await processOcrResults(deps, receipt.body);
    const stored = await p.adapters.receipts.list(receipt.image_id);
    const lines = stored[0]!.lines.length;
    const words = stored[0]!.words.length;

    // Not lost: rows, run and deltas are written; the merchant is as printed, PENDING.
    const pending = await p.adapters.receipts.getPlace(receipt.image_id, 1);
    expect(pending).toMatchObject({
      place_id: null,
      source: 'none',
      merchant_retry: { state: 'PENDING', attempts: 1 },
    });
    expect(pending?.merchant_retry?.last_error).toMatch(/places: .*503/);
    expect(await p.adapters.runs.list(receipt.image_id, 1)).toHaveLength(1);
    expect(first.receipts[0]?.place.merchant_retry?.state).toBe('PENDING');
    const status = await getUploadStatus(p.adapters, receipt.image_id);
    expect(status?.receipts[0]).toMatchObject({ place_id: null, merchant_state: 'PENDING' });

    // Resolution came first: the outage was met after at most 8 signature lines were embedded,
    // and the receipt was embedded once, each text once (no line sent twice).
    const firstRequest = openai.requests[0]!;
    expect(firstRequest.inputs).toBeLessThanOrEqual(8);
    expect(embedded(openai)).toBe(lines + words);

    // The sweep finds the pending merchant and re-sends the results message.
    const report = await sweep(p);
    expect(report.results).toEqual([receipt.job_id]);
    const [resent] = await p.adapters.resultsQueue.receive({ maxMessages: 1 });
    await resent!.ack();

    // Places is back: the redelivery resolves the merchant from the stored delta's vectors.
    places.setDown(false);
    const openAiBefore = openai.requests.length;
    const placesBefore = places.requestCount;
    const second = await processOcrResults(deps, resent!.body);
    expect(openai.requests.length).toBe(openAiBefore); // no embedding paid again
    expect(places.requestCount - placesBefore).toBe(1); // one text search
    const resolved = await p.adapters.receipts.getPlace(receipt.image_id, 1);
    expect(resolved).toMatchObject({ place_id: receipt.receipt.truth.place_id, source: 'places' });
    expect(resolved?.merchant_retry).toBeUndefined();
    expect((await getUploadStatus(p.adapters, receipt.image_id))?.receipts[0]).not.toHaveProperty('merchant_state');
    expect(second.receipts[0]?.resolved?.source).toBe('places');

    // Decided now: another sweep leaves it alone.
    const again = await sweep(p);
    expect(again.results).toEqual([]);
  });

  it('the place MODIFY from pending to resolved reaches the vectors through the stream', async () => {
    const { p, deps, places } = await setUp();
    const receipt = await ocrDone(p, 0);
    places.setDown(true);
    await processOcrResults(deps, receipt.body);
    places.setDown(false);
    await processOcrResults(deps, receipt.body);
    const modify = p.changes.find((c) => c.entity === 'RECEIPT_PLACE' && c.event_name === 'MODIFY');
    expect(modify).toBeDefined();
    const { routeChange } = await import('@receiptflow/core');
    const messages = routeChange(modify!);
    expect(messages.map((m) => m.kind)).toEqual(['update_metadata', 'update_metadata']);
    expect(messages[0]).toMatchObject({ metadata: { place_id: receipt.receipt.truth.place_id, has_place: true } });
  });

  it(`an outage that outlasts ${MAX_MERCHANT_ATTEMPTS} resolutions ends UNRESOLVED, settled (never thrown to the DLQ)`, async () => {
    const { p, deps, places } = await setUp();
    const receipt = await ocrDone(p, 1);
    places.setDown(true);
    for (let n = 1; n <= MAX_MERCHANT_ATTEMPTS + 1; n++) {
      await expect(processOcrResults(deps, receipt.body)).resolves.toBeDefined();
    }
    const place = await p.adapters.receipts.getPlace(receipt.image_id, 1);
    expect(place?.merchant_retry).toMatchObject({ state: 'UNRESOLVED', attempts: MAX_MERCHANT_ATTEMPTS });
    // Given up: the sweep no longer re-sends it.
    const report = await sweep(p);
    expect(report.results).toEqual([]);
  });

  it('a new merchant costs one Places call, billed at Text Search Pro; its repeat visit costs none', async () => {
    const { p, deps, places } = await setUp();
    const first = await ocrDone(p, 0);
    const repeat = await ocrDone(p, 4); // the same merchant, visited again
    expect(repeat.receipt.truth.place_id).toBe(first.receipt.truth.place_id);

    const a = await processOcrResults(deps, first.body);
    expect(a.receipts[0]?.place.place_id).toBe(first.receipt.truth.place_id);
    expect(places.requests.map((r) => r.sku)).toEqual(['Text Search Pro']);

    const b = await processOcrResults(deps, repeat.body);
    expect(b.receipts[0]?.place.place_id).toBe(repeat.receipt.truth.place_id);
    expect(places.requestCount).toBe(1); // from the Places cache (or memory): no call
  });
});
