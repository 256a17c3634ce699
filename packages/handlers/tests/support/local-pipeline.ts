import type { S3Client } from '@aws-sdk/client-s3';
import { runOcrJob, type ChangeRecord, type Clock, type CompactionLock } from '@receiptflow/core';
import { demoReceipts, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import {
  compactionHandlerFrom,
  processOcrResultsHandlerFrom,
  streamProcessorFrom,
  localApiHandlerFrom,
  uploadHandlerFrom,
} from '../../src/container/handler-factories.js';
import { HashingEmbedder } from '@receiptflow/adapters-local';
import { Container } from 'inversify';
import { vectorStorageFor } from '../../src/container/aws/vector-index.js';
import { createLocalContainer } from '../../src/container/local-module.js';
import { TOKENS, type MetricsFor } from '../../src/container/tokens.js';
import { ApiKeyAuth } from '../../src/http/api-key-auth.js';
import { openLocalAdapters, type LocalAdapters } from '../../src/local/local-adapters.js';
import { pumpQueue, type MessageConsumer } from '../../src/local/queue-pump.js';
import { bodyOf, collectingLogger, httpEvent, specLines, TaggedOcr } from './fixtures.js';
import type { SdkCallRecorder } from './sdk-call-recorder.js';

export interface LocalPipelineOptions {
  /** Accepted bearer keys: a bare key is the default owner's; none = open mode. */
  apiKeys?: (string | { owner: string; key: string })[];
  clock?: Clock;
  metricsFor?: MetricsFor;
  /**
   * Vector storage in `efs` mode, with this directory standing in for the EFS mount: the
   * results step reads through followers and compaction writes through the fenced writers,
   * both built by the Lambdas' own wiring (`vectorStorageFor`).
   */
  efs?: {
    dir: string;
    checkpointEvery?: number;
    /** The lock every compaction container shares (one DynamoDB table in AWS); this pipeline's own by default. */
    lock?: CompactionLock;
  };
  /**
   * Vector storage in `s3` mode, the index files as objects under `s3://bucket/prefix` (an
   * emulator's), read and written through the same wiring on this client.
   */
  s3?: {
    client: S3Client;
    bucket: string;
    prefix: string;
    checkpointEvery?: number;
    /** Snapshots kept (VECTOR_KEEP_SNAPSHOTS); 3 by default. */
    keepSnapshots?: number;
    /** As for `efs`. */
    lock?: CompactionLock;
  };
  /** The owners whose keys may call the pipeline routes; none by default. */
  operators?: string[];
  /** Runs the results and compaction handlers as those functions, for the SDK calls they make. */
  recorder?: SdkCallRecorder;
}

/**
 * The four handlers built from the local container (as the local runtime and the Lambdas build
 * them), with each stage driven by hand so that tests can stop between stages. OCR is a fake
 * engine keyed by a tag in the uploaded PNG; the places catalog is the synthetic one.
 */
export async function localPipeline(options: LocalPipelineOptions = {}) {
  const ocr = new TaggedOcr();
  const logger = collectingLogger();
  const files = options.efs ?? options.s3;
  const tuning = {
    VECTOR_CHECKPOINT_EVERY: files?.checkpointEvery ?? 2000,
    VECTOR_KEEP_SNAPSHOTS: options.s3?.keepSnapshots ?? 3,
    EMBEDDING_DIMENSIONS: new HashingEmbedder().dimensions,
  };
  const storage: Parameters<typeof vectorStorageFor>[0] | undefined = options.efs
    ? { VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: options.efs.dir, ...tuning }
    : options.s3
      ? { VECTOR_STORAGE_MODE: 's3', VECTOR_BUCKET: options.s3.bucket, VECTOR_PREFIX: options.s3.prefix, ...tuning }
      : undefined;
  const s3 = options.s3;
  const s3Client = s3 && (() => s3.client);
  const readers = storage && vectorStorageFor(storage, 'reader', s3Client);
  const adapters: LocalAdapters = await openLocalAdapters({
    ocr,
    catalog: syntheticCatalog(),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(readers ? { vectors: readers.vectors } : {}),
  });
  const container = createLocalContainer(adapters, logger, {
    ...(options.metricsFor ? { metricsFor: options.metricsFor } : {}),
    ...(options.operators ? { operators: options.operators } : {}),
  });
  // efs, s3: compaction's own container (as its Lambda has), with the writers and the fencing lock.
  const writers = storage && vectorStorageFor(storage, 'writer', s3Client);
  const compactionContainer = writers ? new Container({ parent: container }) : container;
  if (writers) {
    compactionContainer.bind(TOKENS.VectorIndex).toConstantValue(writers.vectors);
    compactionContainer.bind(TOKENS.CompactionLock).toConstantValue(writers.fencedLock(files?.lock ?? adapters.lock));
  }
  const auth = new ApiKeyAuth(
    (options.apiKeys ?? []).map((k) =>
      typeof k === 'string' ? ApiKeyAuth.hash(k) : { owner: k.owner, sha256: ApiKeyAuth.hash(k.key) },
    ),
  );
  const upload = uploadHandlerFrom(container, auth);
  /** Every route, as the local server serves them. */
  const api = localApiHandlerFrom(container, auth);
  // The handler's consumer runs as that function (the same handler object, its `consume` wrapped).
  const asFunction = <H extends MessageConsumer>(fn: string, handler: H): H => {
    if (options.recorder) handler.consume = options.recorder.for(fn, handler.consume.bind(handler));
    return handler;
  };
  const results = asFunction('process-ocr-results', processOcrResultsHandlerFrom(container));
  const stream = streamProcessorFrom(container);
  const compaction = asFunction('compaction', compactionHandlerFrom(compactionContainer, { fallbackBudgetMs: 60_000 }));
  const changes: ChangeRecord[] = [];
  adapters.table.subscribe((c) => changes.push(c));
  let seq = 0;

  /** Runs the OCR step for every message on ocr-queue; returns how many were handled. */
  async function runOcr(): Promise<number> {
    const a = adapters;
    const messages = await a.ocrQueue.receive({ maxMessages: 10 });
    for (const m of messages) {
      await runOcrJob(
        {
          jobs: a.jobs,
          images: a.rawImages,
          artifacts: a.artifacts,
          ocr,
          resultsQueue: a.resultsQueue,
          clock: a.clock,
          logger,
        },
        m.body,
      );
      await m.ack();
    }
    return messages.length;
  }

  /** Feeds the change feed recorded so far to the stream processor. */
  async function pumpStream() {
    const batch = changes.splice(0);
    return stream(batch.map((change) => ({ id: String(++seq), change })));
  }

  /** Every stage until nothing moves. */
  async function drain(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      let work = await runOcr();
      work += await pumpQueue(adapters.resultsQueue, results);
      if (changes.length > 0) {
        work += changes.length;
        await pumpStream();
      }
      work += await pumpQueue(adapters.compactionQueue, compaction);
      if (work === 0) return;
    }
    throw new Error('local pipeline did not settle in 20 rounds');
  }

  return {
    adapters,
    container,
    logger,
    ocr,
    upload,
    api,
    results,
    stream,
    compaction,
    changes,
    runOcr,
    pumpStream,
    drain,
  };
}

export type LocalPipeline = Awaited<ReturnType<typeof localPipeline>>;

/** Uploads demo receipt `n`, runs OCR, and takes its ocr-results-queue message (acked). */
export async function ocrDone(p: LocalPipeline, n = 0) {
  const receipt = demoReceipts()[n]!;
  const bytes = p.ocr.register(`r${n}`, specLines(receipt.spec));
  const { image_id, job_id } = bodyOf<{ image_id: string; job_id: string }>(
    await p.upload(httpEvent({ headers: { 'content-type': 'image/png' }, body: bytes })),
  );
  await p.runOcr();
  const [message] = await p.adapters.resultsQueue.receive({ maxMessages: 1 });
  await message!.ack();
  return { image_id, job_id, body: message!.body, receipt };
}

/** Uploads the first synthetic receipt and runs OCR on it; returns its ocr-results-queue body (acked there). */
export async function ocrResultsBody(p: LocalPipeline): Promise<string> {
  return (await ocrDone(p, 0)).body;
}
