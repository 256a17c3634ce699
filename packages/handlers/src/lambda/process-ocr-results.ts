import { Container } from 'inversify';
import { parseConfig, ProcessOcrResultsConfigSchema } from '../config/aws-config.js';
import { awsProcessOcrResultsModule } from '../container/aws/process-ocr-results-module.js';
import { processOcrResultsHandlerFrom } from '../container/handler-factories.js';
import type { SqsEvent } from '../handlers/sqs-event.js';

const config = parseConfig(ProcessOcrResultsConfigSchema, process.env, 'process-ocr-results');
const container = new Container();
container.load(awsProcessOcrResultsModule(config));
const processResults = processOcrResultsHandlerFrom(container);

export const handler = (event: SqsEvent) => processResults(event);
