import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { PdfLibPageReader } from '@receiptflow/adapters-local/pdf-pages';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import { randomUUID } from 'node:crypto';
import { ContainerModule } from 'inversify';
import type { UploadConfig } from '../../config/aws-config.js';
import { TOKENS } from '../tokens.js';
import { clientConfig, settingsFrom, sqsClientConfig } from './clients.js';
import { bindCommon } from './common-bindings.js';

/** The upload function: job table, raw bucket (presign + put), ocr-queue, the artifacts bucket's name for its messages, and a PDF page-tree reader. */
export function awsUploadModule(config: UploadConfig): ContainerModule {
  const settings = settingsFrom(config);
  return new ContainerModule((options) => {
    bindCommon(options, settings, config, 'upload');
    options.bind(TOKENS.Ids).toConstantValue({ newId: () => randomUUID() });
    options
      .bind(TOKENS.RawImages)
      .toDynamicValue(
        () =>
          new S3ImageStore(new S3Client({ ...clientConfig(settings), forcePathStyle: Boolean(settings.endpoint) }), {
            bucket: config.RAW_BUCKET,
          }),
      )
      .inSingletonScope();
    options.bind(TOKENS.OcrOutputBucket).toConstantValue(config.ARTIFACTS_BUCKET);
    // pdf-lib is imported only when the first PDF arrives: cold init is unaffected.
    options.bind(TOKENS.PdfPages).toConstantValue(new PdfLibPageReader());
    options
      .bind(TOKENS.OcrQueue)
      .toDynamicValue(
        () => new SqsQueue(new SQSClient(sqsClientConfig(settings)), { queueUrl: config.OCR_JOB_QUEUE_URL }),
      )
      .inSingletonScope();
  });
}
