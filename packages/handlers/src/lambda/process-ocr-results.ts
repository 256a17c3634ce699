import { Container } from 'inversify';
import { parseConfig, ProcessOcrResultsConfigSchema } from '../config/aws-config.js';
import { externalCallBudgets } from '../container/aws/external-call-limits.js';
import { awsProcessOcrResultsModule } from '../container/aws/process-ocr-results-module.js';
import { loadVectorStorage } from '../container/aws/vector-storage.js';
import { processOcrResultsHandlerFrom } from '../container/handler-factories.js';
import type { InvocationContext, SqsEvent } from '../handlers/sqs-event.js';

const config = parseConfig(ProcessOcrResultsConfigSchema, process.env, 'process-ocr-results');
const container = new Container();
// Only the configured VECTOR_STORAGE_MODE's code is loaded (Chroma's client, or the HNSW index
// files), after the config parse so a bad mode still fails as a ConfigError (docs/benchmarks.md, P5).
container.load(awsProcessOcrResultsModule(config, await loadVectorStorage(config.VECTOR_STORAGE_MODE)));
const processResults = processOcrResultsHandlerFrom(container, { callBudgets: externalCallBudgets() });

// The deadline is read from each invocation's context, never cached per container (docs/lessons.md#lesson-17-timeouts-that-did-not-fit).
export const handler = (event: SqsEvent, context: InvocationContext) => processResults(event, context);
