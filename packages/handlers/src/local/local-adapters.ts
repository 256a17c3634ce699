import { join, resolve } from 'node:path';
import {
  CachingPlacesResolver,
  type Clock,
  type Embedder,
  type IdGenerator,
  type ImageStore,
  type NamedImageStore,
  type Logger,
  type OcrEngine,
  type PlaceCandidate,
  type PlacesResolver,
  type StreamedObject,
  type VectorIndex,
} from '@receiptflow/core';
import {
  CatalogPlacesResolver,
  FsDeadLetterJournal,
  FsImageStore,
  FsJobTable,
  HashingEmbedder,
  HnswVectorIndex,
  InMemoryCompactionLock,
  InMemoryImageStore,
  InMemoryJobTable,
  jobTableStores,
  type InMemoryCompactionRunStore,
  type InMemoryOcrJobStore,
  type InMemoryReceiptStore,
  type InMemoryReceiptCatalog,
  InMemoryPlacesCache,
  InMemoryQueue,
  InMemorySnapshotStore,
  SystemClock,
  UuidIdGenerator,
  LocalPresignedUploads,
  UploadNonceLedger,
  loadOrCreatePresignSecret,
  type PresignedUploadGrant,
} from '@receiptflow/adapters-local';
import { TesseractOcrEngine } from '@receiptflow/adapters-local/ocr';
import { PdfJsOcrEngine } from '@receiptflow/adapters-local/pdf';
import { CountingEmbedder } from './counting-embedder.js';
import type { FaultInjector } from './fault/fault-injector.js';
import { withFaults } from './fault/inject-faults.js';

/** What the local server's `PUT /uploads/...` route needs from the raw bucket. */
export interface PresignedUploadTarget {
  admitPresignedUpload(url: string, contentType: string, declaredBytes: number | null): PresignedUploadGrant;
  commitPresignedUpload(grant: PresignedUploadGrant, bytes: Uint8Array): Promise<void>;
  acceptPresignedPut(url: string, bytes: Uint8Array, contentType: string): Promise<void>;
}

/** What the local server's `GET /uploads/...` route needs from a bucket whose objects the API hands out. */
export interface PresignedDownloadSource {
  readonly bucket: string;
  openPresignedDownload(url: string): Promise<StreamedObject>;
}

/** Every port the local pipeline needs, built from local adapters. */
export interface LocalAdapters {
  clock: Clock;
  ids: IdGenerator;
  /** The job table behind the three stores below: its change feed is the local DynamoDB stream. */
  table: InMemoryJobTable;
  jobs: InMemoryOcrJobStore;
  receipts: InMemoryReceiptStore;
  runs: InMemoryCompactionRunStore;
  /** Lists what `receipts` wrote, per owner (`catalog` is the Places stand-in). */
  receiptCatalog: InMemoryReceiptCatalog;
  rawImages: NamedImageStore & PresignedUploadTarget & PresignedDownloadSource;
  artifacts: NamedImageStore & PresignedDownloadSource;
  deltas: ImageStore;
  ocrQueue: InMemoryQueue;
  ocrDlq: InMemoryQueue;
  resultsQueue: InMemoryQueue;
  resultsDlq: InMemoryQueue;
  compactionQueue: InMemoryQueue;
  compactionDlq: InMemoryQueue;
  /** The work queues' redrive threshold: a message failed on this receive goes to its DLQ. */
  maxReceiveCount: number;
  vectors: VectorIndex;
  embedder: CountingEmbedder;
  /** The Places stand-in, counted; `places` is the cached resolver the pipeline calls. */
  catalog: CatalogPlacesResolver;
  places: PlacesResolver;
  lock: InMemoryCompactionLock;
  snapshots: InMemorySnapshotStore;
  /** Tesseract unless replaced; its workers start on the first image. */
  ocr: OcrEngine;
  close(): Promise<void>;
}

export interface LocalAdapterOptions {
  /** Persist jobs, objects and the vector index under this directory; in memory when absent. */
  dataDir?: string;
  /** The places catalog standing in for the Places service. */
  catalog?: readonly PlaceCandidate[];
  /** Where presigned upload URLs point (the local server's `/uploads` route); default `local://uploads`. */
  uploadBaseUrl?: string;
  /** Replaces tesseract (tests use a fake engine). */
  ocr?: OcrEngine;
  /** Tesseract workers, default 1. */
  ocrWorkers?: number;
  clock?: Clock;
  /** Vector index override (bench compares the exact reference). */
  vectors?: VectorIndex;
  embedder?: Embedder;
  /** Test-only: kills the process after a chosen pipeline event (`RECEIPTFLOW_FAULT`). */
  fault?: FaultInjector;
  /** Where the persisted stores report a dropped torn tail or old-format records. */
  logger?: Logger;
}

const MAX_RECEIVES = 5;
/**
 * The vector index's unlinked backlog bound per collection (HnswVectorIndex `maxUnlinked`).
 * `lines` keep the index's default (2,000; serve links them past 1,000 even while busy): the
 * pipeline's queries scan them. `words` (~300 of a receipt's ~340 vectors) are never searched
 * by vector by the pipeline or the read side, so their links may wait for an idle pipeline
 * through a burst of ~60 receipts instead of running beside OCR (issue 18, P8); a words query
 * still scans at most 20,000 records exactly (about 20 ms of CPU at 512 dimensions).
 */
const MAX_UNLINKED = { words: 20_000 } as const;

/** Where each store lives under `--data` (docs/operations.md, "Data files"). */
export const DATA_LAYOUT = {
  jobs: 'jobs',
  objects: 'objects',
  vectors: 'vectors',
  presignSecret: 'presign.key',
  uploadLedger: 'uploads-used.log',
  /** One journal per DLQ, `<queue>-dlq.log`: a poison message survives a restart. */
  deadLetters: 'dead-letters',
} as const;

export async function openLocalAdapters(options: LocalAdapterOptions = {}): Promise<LocalAdapters> {
  const clock = options.clock ?? new SystemClock();
  // Absolute from here on: Node's recursive mkdir of a relative path never settles once the
  // working directory is deleted (it retries the same ENOENT for ever, at full CPU), and a serve
  // stopping then hung in its checkpoint instead of exiting. An absolute path fails or succeeds.
  const dir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  // The work queues stay in memory: recovery on start re-sends every unfinished job, run and
  // results step from the job table. Their DLQs are kept on disk: a dead letter is often the only
  // record of a poison message (one that never named a real job), and an operator redrives or
  // reads it later, perhaps after a restart (docs/operations.md, "Dead letter queues"). Opened
  // first: a damaged journal then refuses the start before the vector index and the job table
  // take their locks and file handles.
  const journals: FsDeadLetterJournal[] = [];
  const queuePair = async (name: string) => {
    const dlqName = `${name}-dlq`;
    let persisted = {};
    if (dir) {
      const path = join(dir, DATA_LAYOUT.deadLetters, `${dlqName}.log`);
      const { journal, messages, droppedTail } = await FsDeadLetterJournal.open(path);
      if (droppedTail)
        options.logger?.warn('dead-letter journal: dropped a torn last record (never acknowledged)', {
          file: path,
          offset: droppedTail.offset,
          bytes: droppedTail.length,
        });
      journals.push(journal);
      persisted = { journal, restore: messages };
    }
    const dlq = new InMemoryQueue({ name: dlqName, clock, ...persisted });
    const queue = new InMemoryQueue({
      name,
      clock,
      visibilityTimeoutSeconds: 120,
      deadLetter: { queue: dlq, maxReceiveCount: MAX_RECEIVES },
    });
    return [queue, dlq] as const;
  };
  const [ocrQueue, ocrDlq] = await queuePair('ocr-queue');
  const [resultsQueue, resultsDlq] = await queuePair('ocr-results-queue');
  const [compactionQueue, compactionDlq] = await queuePair('compaction-queue');
  // Persisted: the signing secret and the used-URL ledger live in the data folder, so a URL
  // issued before a restart still works after it, and a used one stays used.
  const uploads = new LocalPresignedUploads({
    ...(dir
      ? {
          secret: await loadOrCreatePresignSecret(join(dir, DATA_LAYOUT.presignSecret)),
          ledger: await UploadNonceLedger.open(join(dir, DATA_LAYOUT.uploadLedger), clock.now()),
        }
      : {}),
    ...(options.uploadBaseUrl ? { baseUrl: options.uploadBaseUrl } : {}),
  });
  const store = (bucket: string) =>
    dir
      ? new FsImageStore({ bucket, dir: join(dir, DATA_LAYOUT.objects, bucket), clock, uploads })
      : new InMemoryImageStore({ bucket, clock, uploads });
  const logger = options.logger ? { logger: options.logger } : {};
  // The journal is synced before an operation resolves: an upload is acknowledged only once its
  // job would survive a power loss (docs/operations.md has the cost).
  const table = dir
    ? await FsJobTable.open(join(dir, DATA_LAYOUT.jobs), { fsync: true, ...logger })
    : new InMemoryJobTable();
  const { jobs, receipts, runs, catalog: receiptCatalog } = jobTableStores(table, { clock });
  const embedder = new CountingEmbedder(options.embedder ?? new HashingEmbedder());
  // Compaction marks a run COMPLETED in the (synced) journal only after its vectors are
  // appended, so the vector log is synced too (two syncs a receipt, next to ~1 s of OCR).
  const vectors =
    options.vectors ??
    (dir
      ? await HnswVectorIndex.open(join(dir, DATA_LAYOUT.vectors), {
          dimensions: embedder.dimensions,
          maxUnlinked: MAX_UNLINKED,
          fsync: true,
          clock,
          ...logger,
        })
      : new HnswVectorIndex({ dimensions: embedder.dimensions, maxUnlinked: MAX_UNLINKED }));
  // Text search without phones, as GooglePlacesResolver's Text Search Pro mask answers.
  const catalog = new CatalogPlacesResolver(options.catalog ?? [], { textSearchPhones: false });

  const tesseract = options.ocr ? undefined : new TesseractOcrEngine({ concurrency: options.ocrWorkers ?? 1 });

  const adapters: LocalAdapters = {
    clock,
    ids: new UuidIdGenerator(),
    table,
    jobs,
    receipts,
    runs,
    receiptCatalog,
    rawImages: store('raw') as LocalAdapters['rawImages'],
    artifacts: store('artifacts'),
    deltas: store('vectors'),
    ocrQueue,
    ocrDlq,
    resultsQueue,
    resultsDlq,
    compactionQueue,
    compactionDlq,
    maxReceiveCount: MAX_RECEIVES,
    vectors,
    embedder,
    catalog,
    places: new CachingPlacesResolver(catalog, new InMemoryPlacesCache(), clock),
    lock: new InMemoryCompactionLock({ clock }),
    snapshots: new InMemorySnapshotStore(),
    // PDFs are read here, before the image engine: a text layer needs no OCR (docs/architecture.md).
    ocr: new PdfJsOcrEngine(options.ocr ?? (tesseract as OcrEngine)),
    async close() {
      await tesseract?.terminate();
      await uploads.close();
      // Persisted stores hold file handles (and the index a per-directory lock) until closed.
      if (!options.vectors && vectors instanceof HnswVectorIndex) await vectors.close();
      if (table instanceof FsJobTable) await table.close();
      for (const journal of journals) journal.close();
    },
  };
  return options.fault ? withFaults(adapters, options.fault) : adapters;
}
