import type { Logger } from '@receiptflow/core';
import { Container, ContainerModule } from 'inversify';
import type { LocalAdapters } from '../local/local-adapters.js';
import { TOKENS, type MetricsFor } from './tokens.js';

export interface LocalModuleOptions {
  /** Metrics per handler; none by default (locally, counts are in `receipts status` and the logs). */
  metricsFor?: MetricsFor;
}

/** The `local` environment: every token bound to an already-open local adapter. */
export function localModule(
  adapters: LocalAdapters,
  logger: Logger,
  options: LocalModuleOptions = {},
): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Logger).toConstantValue(logger);
    if (options.metricsFor) bind(TOKENS.Metrics).toConstantValue(options.metricsFor);
    bind(TOKENS.MaxReceiveCount).toConstantValue(adapters.maxReceiveCount);
    bind(TOKENS.Clock).toConstantValue(adapters.clock);
    bind(TOKENS.Ids).toConstantValue(adapters.ids);
    bind(TOKENS.OcrJobs).toConstantValue(adapters.jobs);
    bind(TOKENS.Receipts).toConstantValue(adapters.receipts);
    bind(TOKENS.CompactionRuns).toConstantValue(adapters.runs);
    bind(TOKENS.RawImages).toConstantValue(adapters.rawImages);
    bind(TOKENS.Artifacts).toConstantValue(adapters.artifacts);
    bind(TOKENS.Deltas).toConstantValue(adapters.deltas);
    bind(TOKENS.OcrQueue).toConstantValue(adapters.ocrQueue);
    bind(TOKENS.OcrBacklog).toConstantValue(adapters.ocrQueue);
    bind(TOKENS.OcrOutputBucket).toConstantValue(adapters.artifacts.bucket);
    bind(TOKENS.ResultsQueue).toConstantValue(adapters.resultsQueue);
    bind(TOKENS.CompactionQueue).toConstantValue(adapters.compactionQueue);
    bind(TOKENS.VectorIndex).toConstantValue(adapters.vectors);
    bind(TOKENS.Embedder).toConstantValue(adapters.embedder);
    bind(TOKENS.Places).toConstantValue(adapters.places);
    bind(TOKENS.CompactionLock).toConstantValue(adapters.lock);
    bind(TOKENS.Snapshots).toConstantValue(adapters.snapshots);
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
