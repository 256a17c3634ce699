import { makeCompactionRun, makeReceiptDetails, uniqueId } from '@receiptflow/core/testing';
import {
  buildVectorDelta,
  deltaKey,
  encodeVectorDelta,
  encodeVectorDeltaBytes,
  type Collection,
  type MetadataFilter,
  type VectorMetadata,
  type VectorQuery,
  type VectorRecord,
  CachingPlacesResolver,
  compact,
  processOcrResults,
  routeChange,
  runOcrJob,
  submitJob,
  type ChangeRecord,
  type CompactDeps,
  type CompactOptions,
  type OcrDocument,
  type OcrEngine,
  type PlacesResolver,
  type ProcessOcrResultsDeps,
  type RunOcrJobDeps,
  type SubmitJobDeps,
  type VectorIndex,
} from '@receiptflow/core';
import { CatalogPlacesResolver } from '@receiptflow/adapters-local';
import { FakeClock } from '@receiptflow/adapters-local';
import { HashingEmbedder } from '@receiptflow/adapters-local';
import { InMemoryCompactionLock } from '@receiptflow/adapters-local';
import { InMemoryImageStore } from '@receiptflow/adapters-local';
import { InMemoryJobTable } from '@receiptflow/adapters-local';
import { jobTableStores } from '@receiptflow/adapters-local';
import { InMemoryPlacesCache } from '@receiptflow/adapters-local';
import { InMemoryQueue } from '@receiptflow/adapters-local';
import { InMemorySnapshotStore } from '@receiptflow/adapters-local';
import { UuidIdGenerator } from '@receiptflow/adapters-local';
import { ExactVectorIndex } from '@receiptflow/adapters-local';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import { syntheticCatalog } from '@receiptflow/adapters-local/synthetic';

/** A tiny valid PNG header + IEND, enough for stores (the fake OCR never decodes it). */
export const PNG_BYTES = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
]);

/**
 * PNG_BYTES with another width (n + 1 pixels): a distinct upload of a header-valid PNG. Uploads of
 * equal bytes are duplicates (one image), so a test that means two uploads sends two of these.
 */
export function distinctPng(n: number): Uint8Array {
  const bytes = PNG_BYTES.slice();
  // IHDR width, big-endian, at bytes 16..19 (the fake OCR never decodes the pixels).
  new DataView(bytes.buffer).setUint32(16, n + 1);
  return bytes;
}

let pngs = 0;
/** A fresh {@link distinctPng}: for tests that upload many images and mean each to be new. */
export function nextPng(): Uint8Array {
  return distinctPng(++pngs);
}

/** An axis-aligned OCR document: one line per text, top to bottom, words split on spaces. */
import { makeOcrDocument as ocrDocument } from '@receiptflow/core/testing';
export { ocrDocument };
/** The lines a synthetic receipt prints, as the renderer lays them out. */
export { printedLines as specLines } from '@receiptflow/adapters-local/synthetic';

export { demoReceipts };

/** An OcrEngine that returns whatever document the test queued for the next image. */
export class ScriptedOcr implements OcrEngine {
  readonly name = 'scripted';
  next: OcrDocument = ocrDocument(['NOTHING']);
  calls = 0;
  async recognize(): Promise<OcrDocument> {
    this.calls++;
    return structuredClone(this.next);
  }
}

/** Counts calls to a PlacesResolver (through the cache: only misses reach it). */
export class CountingPlaces implements PlacesResolver {
  calls = 0;
  constructor(private readonly inner: PlacesResolver) {}
  findByPhone(phone: string) {
    this.calls++;
    return this.inner.findByPhone(phone);
  }
  searchText(query: string) {
    this.calls++;
    return this.inner.searchText(query);
  }
  getPlace(placeId: string) {
    this.calls++;
    return this.inner.getPlace(placeId);
  }
}

export interface PipelineOptions {
  vectors?: (base: ExactVectorIndex) => VectorIndex;
  /** The vectors bucket; default an InMemoryImageStore. */
  deltas?: (clock: FakeClock) => InMemoryImageStore;
}

/** Every local adapter, wired the way the handlers wire them, on a fake clock. */
export function pipeline(options: PipelineOptions = {}) {
  const clock = new FakeClock();
  const table = new InMemoryJobTable();
  const { jobs, receipts, runs } = jobTableStores(table, { clock });
  const raw = new InMemoryImageStore({ bucket: 'raw-bucket', clock });
  const artifacts = new InMemoryImageStore({ bucket: 'artifacts-bucket', clock });
  const deltas = options.deltas?.(clock) ?? new InMemoryImageStore({ bucket: 'vectors-bucket', clock });
  const ocrQueue = new InMemoryQueue({ name: 'ocr-queue', clock });
  const resultsQueue = new InMemoryQueue({ name: 'ocr-results-queue', clock });
  const baseIndex = new ExactVectorIndex({ dimensions: 512 });
  const vectors = options.vectors ? options.vectors(baseIndex) : baseIndex;
  const embedder = new HashingEmbedder({ dimensions: 512 });
  const catalogPlaces = new CountingPlaces(new CatalogPlacesResolver(syntheticCatalog()));
  const placesCache = new InMemoryPlacesCache();
  const places = new CachingPlacesResolver(catalogPlaces, placesCache, clock);
  const lock = new InMemoryCompactionLock({ clock });
  const snapshots = new InMemorySnapshotStore();
  const ocr = new ScriptedOcr();
  const changes: ChangeRecord[] = [];
  table.subscribe((c) => changes.push(c));

  const submitDeps: SubmitJobDeps = { jobs, images: raw, ocrQueue, clock, ids: new UuidIdGenerator() };
  const ocrDeps: RunOcrJobDeps = { jobs, images: raw, artifacts, ocr, resultsQueue, clock };
  const processDeps: ProcessOcrResultsDeps = {
    jobs,
    receipts,
    runs,
    artifacts,
    deltas,
    embedder,
    vectors,
    places,
    clock,
  };
  const compactDeps: CompactDeps = { receipts, runs, deltas, vectors, lock, snapshots, clock };

  /** Uploads (as `owner`, default none; distinct bytes each time), OCRs (scripted) and processes one receipt; returns ids and outcomes. */
  async function ingest(
    input: readonly string[] | OcrDocument,
    filename = 'receipt.png',
    upload: { owner?: string } = {},
  ) {
    const submitted = await submitJob(submitDeps, { filename, contentType: 'image/png', body: nextPng(), ...upload });
    ocr.next = Array.isArray(input) ? ocrDocument(input as readonly string[]) : (input as OcrDocument);
    const ocrOutcome = await runOcrJob(ocrDeps, { job_id: submitted.job_id, image_id: submitted.image_id });
    const [results] = await resultsQueue.receive({ maxMessages: 1 });
    if (!results) throw new Error('no results message');
    await results.ack();
    const processed = await processOcrResults(processDeps, results.body);
    return { ...submitted, ocrOutcome, processed, resultsBody: results.body };
  }

  /** Routes every change recorded since the last call into compaction inputs. */
  function drainRouted(): { id: string; body: string }[] {
    const routed = changes.splice(0).flatMap((c) => routeChange(c));
    return routed.map((m, i) => ({ id: `msg-${clock.now()}-${i}-${m.kind}-${m.collection}`, body: JSON.stringify(m) }));
  }

  async function compactAll(opts: Partial<CompactOptions> = {}) {
    return compact(compactDeps, drainRouted(), { owner: 'test', ...opts });
  }

  return {
    clock,
    table,
    jobs,
    receipts,
    runs,
    raw,
    artifacts,
    deltas,
    ocrQueue,
    resultsQueue,
    baseIndex,
    vectors,
    embedder,
    catalogPlaces,
    placesCache,
    places,
    lock,
    snapshots,
    ocr,
    changes,
    submitDeps,
    ocrDeps,
    processDeps,
    compactDeps,
    ingest,
    drainRouted,
    compactAll,
  };
}

export type Pipeline = ReturnType<typeof pipeline>;

/** What recoverUnfinishedWork needs, over a pipeline's stores and queues. */
export function recoveryDeps(p: Pipeline) {
  return {
    jobs: p.jobs,
    receipts: p.receipts,
    runs: p.runs,
    ocrQueue: p.ocrQueue,
    resultsQueue: p.resultsQueue,
    compactionQueue: new InMemoryQueue({ name: 'compaction', clock: p.clock }),
  };
}

/**
 * A VectorIndex wrapper the tests script: a hook before each upsert (sleep on the fake clock,
 * stall forever, throw), and a store that silently keeps only the first N records of a call.
 */
export class ScriptedIndex implements VectorIndex {
  beforeUpsert: ((records: VectorRecord[]) => Promise<void>) | null = null;
  /** Keep only this many records per upsert call, silently dropping the rest (docs/lessons.md#lesson-2-a-merge-that-lost-data-was-marked-done). */
  dropBeyond: number | null = null;
  upserts = 0;
  constructor(private readonly inner: VectorIndex) {}
  async upsert(collection: Collection, records: VectorRecord[]): Promise<void> {
    this.upserts++;
    if (this.beforeUpsert) await this.beforeUpsert(records);
    await this.inner.upsert(collection, this.dropBeyond === null ? records : records.slice(0, this.dropBeyond));
  }
  delete(collection: Collection, ids: string[]) {
    return this.inner.delete(collection, ids);
  }
  deleteWhere(collection: Collection, where: MetadataFilter) {
    return this.inner.deleteWhere(collection, where);
  }
  get(collection: Collection, ids: string[]) {
    return this.inner.get(collection, ids);
  }
  findIds(collection: Collection, where: MetadataFilter) {
    return this.inner.findIds(collection, where);
  }
  updateMetadata(collection: Collection, ids: string[], patch: VectorMetadata) {
    return this.inner.updateMetadata(collection, ids, patch);
  }
  query(collection: Collection, query: VectorQuery) {
    return this.inner.query(collection, query);
  }
  count(collection: Collection) {
    return this.inner.count(collection);
  }
}

/** A deterministic unit vector for record `i`. */
function unitVector(i: number, dimensions = 512): number[] {
  const v = Array.from({ length: dimensions }, (_, d) => Math.sin((i + 1) * (d + 1) * 0.37));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/**
 * A receipt with a PENDING run whose deltas hold `count` vectors per collection, written straight
 * to the stores (no embedding), for compaction tests that need many vectors. Returns the run and
 * the merge messages routeChange would send for it.
 */
export async function seedRun(p: Pipeline, count: number, options: { imageId?: string; format?: 1 | 2 } = {}) {
  const details = makeReceiptDetails(options.imageId ? { image_id: options.imageId } : {});
  const { image_id, receipt_id } = details.receipt;
  await p.receipts.create(details);
  const run_id = uniqueId('run');
  const keys = {} as Record<Collection, string>;
  for (const collection of ['lines', 'words'] as const) {
    const records: VectorRecord[] = Array.from({ length: count }, (_, i) => ({
      id: `${collection}-${image_id}-${i}`,
      vector: unitVector(i),
      document: `text ${i}`,
      metadata: { image_id, receipt_id, line_id: i + 1, text: `text ${i}` },
    }));
    const header = { run_id, image_id, receipt_id, collection };
    // Format 1 (JSON, `.json` keys) is how runs written before format 2 have their deltas.
    if (options.format === 1) {
      keys[collection] = deltaKey(collection, run_id).replace(/\.bin$/, '.json');
      await p.deltas.put(keys[collection], encodeVectorDelta(buildVectorDelta(header, 512, records)));
    } else {
      keys[collection] = deltaKey(collection, run_id);
      await p.deltas.put(keys[collection], encodeVectorDeltaBytes(header, 512, records));
    }
  }
  const run = makeCompactionRun({
    run_id,
    image_id,
    receipt_id,
    lines: { delta_key: keys.lines, vector_count: count },
    words: { delta_key: keys.words, vector_count: count },
  });
  await p.runs.create(run);
  const messages = ['lines', 'words'].map((collection) => ({
    id: `merge-${collection}-${run_id}`,
    body: JSON.stringify({
      kind: 'merge',
      collection,
      run_id,
      image_id,
      receipt_id,
      delta_key: keys[collection as Collection],
    }),
  }));
  return { run, image_id, receipt_id, messages, lines: messages[0]!, words: messages[1]! };
}

/** Two receipts' OCR side by side on one page: the first in the left 45%, the second in the right. */
export function twoUp(left: readonly string[], right: readonly string[]): OcrDocument {
  const squeeze = (doc: OcrDocument, offset: number) =>
    doc.lines.map((line) => {
      const move = <T extends OcrDocument['lines'][number]['words'][number] | OcrDocument['lines'][number]>(
        g: T,
      ): T => {
        const x = (p: { x: number; y: number }) => ({ x: offset + p.x * 0.45, y: p.y });
        return {
          ...g,
          bounding_box: { ...g.bounding_box, x: offset + g.bounding_box.x * 0.45, width: g.bounding_box.width * 0.45 },
          top_left: x(g.top_left),
          top_right: x(g.top_right),
          bottom_left: x(g.bottom_left),
          bottom_right: x(g.bottom_right),
        };
      };
      return { ...move(line), words: line.words.map(move) };
    });
  const a = ocrDocument(left);
  return { ...a, image_width: 1600, lines: [...squeeze(a, 0), ...squeeze(ocrDocument(right), 0.55)] };
}
