import { blankPdf } from '@receiptflow/devkit/pdf-fixtures';
import { checkPdfPages } from '@receiptflow/core';
import { Container } from 'inversify';
import { describe, expect, it } from 'vitest';
import { parseConfig, UploadConfigSchema } from '../src/config/aws-config.js';
import { awsUploadModule } from '../src/container/aws/upload-module.js';
import { submitDepsFrom } from '../src/container/handler-factories.js';

const ENV = {
  TABLE_NAME: 'jobs',
  RAW_BUCKET: 'raw-bucket',
  ARTIFACTS_BUCKET: 'artifacts-bucket',
  OCR_JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/ocr-queue',
  API_KEY_SHA256: 'AB'.repeat(32),
};

describe('the AWS upload function reads PDF page trees at upload (issue 19)', () => {
  it('its container gives submitJob a PdfPageReader that sees 11 pages in object streams', async () => {
    const container = new Container();
    container.load(awsUploadModule(parseConfig(UploadConfigSchema, ENV, 'upload')));
    const { pdfPages } = submitDepsFrom(container);
    expect(pdfPages).toBeDefined();
    const sizes = await pdfPages!.pageSizes(await blankPdf({ pages: 11 }));
    expect(() => checkPdfPages(sizes!)).toThrow(/PDF has 11 pages, at most 10/);
  });
});
