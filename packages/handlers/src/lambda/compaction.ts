import { Container } from 'inversify';
import { CompactionConfigSchema, parseConfig } from '../config/aws-config.js';
import { awsCompactionModule } from '../container/aws/compaction-module.js';
import { loadVectorStorage } from '../container/aws/vector-storage.js';
import { compactionHandlerFrom } from '../container/handler-factories.js';
import type { InvocationContext, SqsEvent } from '../handlers/sqs-event.js';

const config = parseConfig(CompactionConfigSchema, process.env, 'compaction');
const container = new Container();
// Only the configured VECTOR_STORAGE_MODE's code is loaded (Chroma's client, or the HNSW index
// files), after the config parse so a bad mode still fails as a ConfigError (docs/benchmarks.md, P5).
container.load(awsCompactionModule(config, await loadVectorStorage(config.VECTOR_STORAGE_MODE)));
const compaction = compactionHandlerFrom(container, { leaseMs: config.LEASE_MS });

// The deadline is read from each invocation's context, never cached per container (docs/lessons.md#lesson-17-timeouts-that-did-not-fit).
export const handler = (event: SqsEvent, context: InvocationContext) => compaction(event, context);
