import { InMemoryDeadLetterQueue } from '@receiptflow/adapters-local';
import { PdfLibPageReader } from '@receiptflow/adapters-local/pdf-pages';
import type { Logger } from '@receiptflow/core';
import { Container, ContainerModule } from 'inversify';
import type { LocalAdapters } from '../local/local-adapters.js';
import { TOKENS, type MetricsFor, type TokenConstants } from './tokens.js';

export interface LocalModuleOptions {
  /** Metrics per handler; none by default (locally, counts are in `receipts status` and the logs). */
  metricsFor?: MetricsFor;
  /** The owners whose keys may call the pipeline routes (`receipts serve`: the token's owner). */
  operators?: readonly string[];
}

/** The `local` environment: every token bound to an already-open local adapter. */
export function localModule(
  adapters: LocalAdapters,
  logger: Logger,
  options: LocalModuleOptions = {},
): ContainerModule {
  const a = adapters;
  const constants: TokenConstants = {
    Logger: logger,
    ...(options.metricsFor ? { Metrics: options.metricsFor } : {}),
    MaxReceiveCount: a.maxReceiveCount,
    Clock: a.clock,
    Ids: a.ids,
    OcrJobs: a.jobs,
    Receipts: a.receipts,
    CompactionRuns: a.runs,
    ReceiptCatalog: a.receiptCatalog,
    RawImages: a.rawImages,
    Artifacts: a.artifacts,
    Deltas: a.deltas,
    OcrQueue: a.ocrQueue,
    OcrBacklog: a.ocrQueue,
    OcrOutputBucket: a.artifacts.bucket,
    PdfPages: new PdfLibPageReader(),
    ResultsQueue: a.resultsQueue,
    CompactionQueue: a.compactionQueue,
    VectorIndex: a.vectors,
    Embedder: a.embedder,
    Places: a.places,
    CompactionLock: a.lock,
    Snapshots: a.snapshots,
    PipelineQueues: {
      ocr: { queue: a.ocrQueue, deadLetters: new InMemoryDeadLetterQueue(a.ocrDlq, a.ocrQueue) },
      'ocr-results': { queue: a.resultsQueue, deadLetters: new InMemoryDeadLetterQueue(a.resultsDlq, a.resultsQueue) },
      compaction: {
        queue: a.compactionQueue,
        deadLetters: new InMemoryDeadLetterQueue(a.compactionDlq, a.compactionQueue),
      },
    },
    ...(options.operators ? { Operators: options.operators } : {}),
  };
  return new ContainerModule(({ bind }) => {
    for (const key of Object.keys(constants) as (keyof TokenConstants)[]) {
      bind(TOKENS[key]).toConstantValue(constants[key]);
    }
  });
}

export function createLocalContainer(
  adapters: LocalAdapters,
  logger: Logger,
  options: LocalModuleOptions = {},
): Container {
  const container = new Container();
  container.load(localModule(adapters, logger, options));
  return container;
}
