import { Container } from 'inversify';
import { CompactionConfigSchema, parseConfig } from '../config/aws-config.js';
import { awsCompactionModule } from '../container/aws/compaction-module.js';
import { compactionHandlerFrom } from '../container/handler-factories.js';
import type { InvocationContext, SqsEvent } from '../handlers/sqs-event.js';

const config = parseConfig(CompactionConfigSchema, process.env, 'compaction');
const container = new Container();
container.load(awsCompactionModule(config));
const compaction = compactionHandlerFrom(container, { leaseMs: config.LEASE_MS });

// The deadline is read from each invocation's context, never cached per container (docs/lessons.md#lesson-17-timeouts-that-did-not-fit).
export const handler = (event: SqsEvent, context: InvocationContext) => compaction(event, context);
