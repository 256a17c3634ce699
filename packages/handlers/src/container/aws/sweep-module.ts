import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import { ContainerModule } from 'inversify';
import type { SweepConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import { settingsFrom, sqsClientConfig } from './clients.js';
import { bindCommon } from './common-bindings.js';

/** The sweep: reads the job table, sends to ocr-queue, ocr-results-queue and compaction-queue. */
export function awsSweepModule(config: SweepConfig): ContainerModule {
  const settings = settingsFrom(config);
  return new ContainerModule((options) => {
    bindCommon(options, settings, config, 'sweep');
    options.bind(TOKENS.OcrOutputBucket).toConstantValue(config.ARTIFACTS_BUCKET);
    let sqs: SQSClient | undefined;
    const client = () => (sqs ??= new SQSClient(sqsClientConfig(settings)));
    let ocrQueue: SqsQueue | undefined;
    const ocr = () => (ocrQueue ??= new SqsQueue(client(), { queueUrl: config.OCR_JOB_QUEUE_URL }));
    options.bind(TOKENS.OcrQueue).toDynamicValue(ocr).inSingletonScope();
    options.bind(TOKENS.OcrBacklog).toDynamicValue(ocr).inSingletonScope();
    const queueOf = (queueUrl: string) => () => new SqsQueue(client(), { queueUrl });
    options.bind(TOKENS.ResultsQueue).toDynamicValue(queueOf(config.OCR_RESULTS_QUEUE_URL)).inSingletonScope();
    options.bind(TOKENS.CompactionQueue).toDynamicValue(queueOf(config.COMPACTION_QUEUE_URL)).inSingletonScope();
  });
}
