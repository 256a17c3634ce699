import { describe, expect, it } from 'vitest';
import { parseCommandLine, type CliEnvironment } from '../src/cli/args.js';
import { UsageError } from '@receiptflow/core';

const linux: CliEnvironment = { env: {}, platform: 'linux', stdoutIsTty: false };
const required = [
  '--ocr-job-queue-url',
  'http://127.0.0.1:4566/000000000000/ocr-queue',
  '--ocr-results-queue-url',
  'http://127.0.0.1:4566/000000000000/ocr-results-queue',
  '--dynamo-table-name',
  'receiptflow',
  '--raw-bucket',
  'raw-images',
  '--region',
  'us-east-1',
];

function config(argv: string[], environment = linux) {
  const parsed = parseCommandLine(argv, environment);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.config;
}

function usageError(argv: string[], environment = linux): UsageError {
  try {
    parseCommandLine(argv, environment);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('reads the seed flags and applies the defaults', () => {
    const c = config(required);
    expect(c).toMatchObject({
      ocrJobQueueUrl: 'http://127.0.0.1:4566/000000000000/ocr-queue',
      dynamoTableName: 'receiptflow',
      region: 'us-east-1',
      continuous: false,
      engine: 'tesseract',
      concurrency: 1,
      maxJobs: null,
      endpointUrl: null,
      logFormat: 'json',
      rawBucket: 'raw-images',
      // No --artifacts-bucket: the message's ocr_s3_bucket, else the image's (here: raw) bucket.
      artifactsBucket: null,
      deadLetterQueueUrl: null,
      visibilityTimeoutSeconds: 120,
      waitSeconds: 2,
    });
  });

  it('reads every option', () => {
    const c = config([
      ...required,
      '--continuous',
      '--engine',
      'vision',
      '--concurrency',
      '4',
      '--max-jobs',
      '7',
      '--endpoint-url',
      'http://127.0.0.1:9324',
      '--log-format',
      'pretty',
      '--artifacts-bucket',
      'artifacts',
      '--dead-letter-queue-url',
      'http://127.0.0.1:9324/q/dlq',
      '--visibility-timeout',
      '30',
      '--vision-helper',
      '/opt/receipt-ocr-vision',
      '--vision-timeout',
      '9',
    ]);
    expect(c).toMatchObject({
      continuous: true,
      engine: 'vision',
      concurrency: 4,
      maxJobs: 7,
      endpointUrl: 'http://127.0.0.1:9324',
      logFormat: 'pretty',
      artifactsBucket: 'artifacts',
      deadLetterQueueUrl: 'http://127.0.0.1:9324/q/dlq',
      visibilityTimeoutSeconds: 30,
      waitSeconds: 20,
      visionHelperPath: '/opt/receipt-ocr-vision',
      visionTimeoutMs: 9000,
    });
  });

  it('ignores a leading literal -- (pnpm passes it through)', () => {
    expect(config(['--', ...required, '--max-jobs', '3']).maxJobs).toBe(3);
  });

  it('defaults the engine to vision on macOS, the region to AWS_REGION and pretty logs on a terminal', () => {
    const mac: CliEnvironment = { env: { AWS_REGION: 'eu-west-1' }, platform: 'darwin', stdoutIsTty: true };
    const c = config(required.slice(0, -2), mac);
    expect(c).toMatchObject({ engine: 'vision', region: 'eu-west-1', logFormat: 'pretty' });
  });

  it('answers --help without requiring anything else', () => {
    expect(parseCommandLine(['--help'], linux)).toEqual({ help: true });
    expect(parseCommandLine(['-h'], linux)).toEqual({ help: true });
  });

  it.each([
    [['--engine', 'easyocr'], /--engine must be vision or tesseract/],
    [['--concurrency', '0'], /--concurrency/],
    [['--concurrency', 'two'], /--concurrency must be a whole number/],
    [['--max-jobs', '-1'], /--max-jobs/],
    [['--log-format', 'xml'], /--log-format must be json or pretty/],
    [['--endpoint-url', 'localhost'], /--endpoint-url must be a URL/],
    [['--wait-seconds', '21'], /--wait-seconds/],
  ])('names the bad flag: %j', (extra, message) => {
    expect(usageError([...required, ...extra]).message).toMatch(message);
  });

  it('names a missing required flag', () => {
    const withoutTable = required.filter((_, i) => i !== 4 && i !== 5);
    expect(usageError(withoutTable).message).toMatch(/--dynamo-table-name is required/);
    expect(usageError(required.slice(0, -2)).message).toMatch(/--region is required/);
  });

  it('names an unknown flag and a flag missing its value', () => {
    expect(usageError([...required, '--queue', 'x']).message).toMatch(/--queue/);
    expect(usageError([...required, '--max-jobs']).message).toMatch(/--max-jobs/);
    expect(usageError([...required, 'stray']).message).toMatch(/stray/);
  });
});

describe('parseCommandLine: queue URLs', () => {
  it('accepts emulator queue URLs that WHATWG URL parsing would reject, refuses non-URLs', () => {
    const emulator = 'http://sqs.us-east-1.127.0.0.1:4566/000000000000/ocr-queue';
    expect(config([...required, '--ocr-job-queue-url', emulator]).ocrJobQueueUrl).toBe(emulator);
    expect(usageError([...required, '--ocr-job-queue-url', 'ocr-queue']).message).toMatch(
      /--ocr-job-queue-url must be an http\(s\) queue URL/,
    );
  });
});

describe("parseCommandLine: the seed's command", () => {
  const seed = [
    '--ocr-job-queue-url',
    'https://sqs.us-east-1.amazonaws.com/681647709217/upload-images-dev-ocr-queue',
    '--ocr-results-queue-url',
    'https://sqs.us-east-1.amazonaws.com/681647709217/upload-images-dev-ocr-results-queue',
    '--dynamo-table-name',
    'ReceiptsTable-dc5be22',
    '--region',
    'us-east-1',
    '--continuous',
  ];

  it('parses without any bucket: images and OCR JSON follow each message', () => {
    expect(config(seed)).toMatchObject({
      ocrJobQueueUrl: seed[1],
      ocrResultsQueueUrl: seed[3],
      dynamoTableName: 'ReceiptsTable-dc5be22',
      region: 'us-east-1',
      continuous: true,
      rawBucket: null,
      artifactsBucket: null,
    });
  });
});

describe('parseCommandLine: environment variables', () => {
  const env = (vars: Record<string, string>): CliEnvironment => ({ ...linux, env: vars });
  const deployment = {
    OCR_JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/p-ocr-queue',
    OCR_RESULTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/p-ocr-results-queue',
    TABLE_NAME: 'p-table',
    AWS_REGION: 'us-east-1',
  };

  it('fills the queues and table from the deployment contract names', () => {
    expect(config([], env(deployment))).toMatchObject({
      ocrJobQueueUrl: deployment.OCR_JOB_QUEUE_URL,
      ocrResultsQueueUrl: deployment.OCR_RESULTS_QUEUE_URL,
      dynamoTableName: 'p-table',
      rawBucket: null,
    });
  });

  it('a flag wins over its variable; DYNAMO_TABLE_NAME (the seed) wins over TABLE_NAME', () => {
    const c = config(['--dynamo-table-name', 'from-flag'], env({ ...deployment, DYNAMO_TABLE_NAME: 'seed-table' }));
    expect(c.dynamoTableName).toBe('from-flag');
    expect(config([], env({ ...deployment, DYNAMO_TABLE_NAME: 'seed-table' })).dynamoTableName).toBe('seed-table');
  });

  it('still reads the deprecated OCR_QUEUE_URL when OCR_JOB_QUEUE_URL is unset', () => {
    const { OCR_JOB_QUEUE_URL: _, ...old } = deployment;
    expect(
      config([], env({ ...old, OCR_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/old-ocr-queue' })).ocrJobQueueUrl,
    ).toBe('https://sqs.us-east-1.amazonaws.com/1/old-ocr-queue');
  });

  it('reads the buckets and AWS_ENDPOINT_URL', () => {
    const c = config(
      [],
      env({ ...deployment, RAW_BUCKET: 'raw', ARTIFACTS_BUCKET: 'art', AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }),
    );
    expect(c).toMatchObject({ rawBucket: 'raw', artifactsBucket: 'art', endpointUrl: 'http://127.0.0.1:4566' });
  });

  it('a bad value names the variable it came from; a missing one names the variable to set', () => {
    expect(usageError([], env({ ...deployment, OCR_JOB_QUEUE_URL: 'ocr-queue' })).message).toMatch(
      /OCR_JOB_QUEUE_URL \(for --ocr-job-queue-url\) must be an http\(s\) queue URL/,
    );
    const { TABLE_NAME: _, ...noTable } = deployment;
    expect(usageError([], env(noTable)).message).toMatch(
      /--dynamo-table-name is required \(or set DYNAMO_TABLE_NAME\)/,
    );
  });
});
