import { ConfigError } from '@receiptflow/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CompactionConfigSchema,
  parseConfig,
  PipelineConfigSchema,
  ProcessOcrResultsConfigSchema,
  ReceiptsChangeConfigSchema,
  ReceiptsExportConfigSchema,
  ReceiptsReadConfigSchema,
  StreamProcessorConfigSchema,
  SweepConfigSchema,
  UploadConfigSchema,
} from '../src/config/aws-config.js';

const HASH = 'ab'.repeat(32);

const ENVS = {
  upload: {
    TABLE_NAME: 'jobs',
    RAW_BUCKET: 'raw-bucket',
    ARTIFACTS_BUCKET: 'artifacts-bucket',
    OCR_JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/ocr-queue',
    API_KEY_SHA256: HASH,
  },
  'receipts-read': {
    TABLE_NAME: 'jobs',
    RAW_BUCKET: 'raw-bucket',
    CHROMA_URL: 'http://chroma.internal:8000',
    API_KEY_SHA256: HASH,
  },
  'receipts-change': {
    TABLE_NAME: 'jobs',
    RAW_BUCKET: 'raw-bucket',
    ARTIFACTS_BUCKET: 'artifacts-bucket',
    API_KEY_SHA256: HASH,
    GOOGLE_PLACES_API_KEY: 'places-key',
  },
  'receipts-export': {
    TABLE_NAME: 'jobs',
    EXPORT_BUCKET: 'artifacts-bucket',
    API_KEY_SHA256: HASH,
  },
  pipeline: {
    TABLE_NAME: 'jobs',
    API_KEY_SHA256: HASH,
    OCR_JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/ocr-queue',
    OCR_RESULTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/ocr-results-queue',
    COMPACTION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/compaction-queue',
    OCR_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/1/ocr-queue-dlq',
    OCR_RESULTS_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/1/ocr-results-queue-dlq',
    COMPACTION_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/1/compaction-queue-dlq',
  },
  'process-ocr-results': {
    TABLE_NAME: 'jobs',
    ARTIFACTS_BUCKET: 'artifacts',
    VECTORS_BUCKET: 'vectors',
    CHROMA_URL: 'http://chroma.internal:8000',
    OPENAI_API_KEY: 'sk-test',
    GOOGLE_PLACES_API_KEY: 'places-key',
  },
  'stream-processor': {
    TABLE_NAME: 'jobs',
    COMPACTION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/compaction-queue',
  },
  compaction: { TABLE_NAME: 'jobs', VECTORS_BUCKET: 'vectors', CHROMA_URL: 'http://chroma.internal:8000' },
  sweep: {
    TABLE_NAME: 'jobs',
    ARTIFACTS_BUCKET: 'artifacts',
    OCR_JOB_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/ocr-queue',
    OCR_RESULTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/ocr-results-queue',
    COMPACTION_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/compaction-queue',
  },
} as const;

const SCHEMAS = {
  upload: UploadConfigSchema,
  'receipts-read': ReceiptsReadConfigSchema,
  'receipts-change': ReceiptsChangeConfigSchema,
  'receipts-export': ReceiptsExportConfigSchema,
  pipeline: PipelineConfigSchema,
  'process-ocr-results': ProcessOcrResultsConfigSchema,
  'stream-processor': StreamProcessorConfigSchema,
  compaction: CompactionConfigSchema,
  sweep: SweepConfigSchema,
} as const;

type Fn = keyof typeof ENVS;
const FUNCTIONS = Object.keys(ENVS) as Fn[];

function configError(fn: Fn, env: Record<string, string | undefined>): ConfigError {
  try {
    parseConfig(SCHEMAS[fn], env, fn);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`${fn}: expected a ConfigError`);
}

describe('OPERATOR_OWNERS (the pipeline function)', () => {
  const parse = (value: string | undefined) =>
    parseConfig(PipelineConfigSchema, { ...ENVS.pipeline, OPERATOR_OWNERS: value }, 'pipeline').OPERATOR_OWNERS;

  it('is none when unset or empty: every caller of the operator routes gets 403', () => {
    expect(parse(undefined)).toEqual([]);
    expect(parse('')).toEqual([]);
  });

  it('lists the owners named, comma-separated', () => {
    expect(parse('ops, alice@example.com')).toEqual(['ops', 'alice@example.com']);
  });

  it('refuses an owner name API_KEY_SHA256 could not hold, naming the variable', () => {
    expect(() => parse('ops,bad owner')).toThrow(/pipeline: invalid environment: OPERATOR_OWNERS/);
  });
});

describe('parseConfig', () => {
  for (const fn of FUNCTIONS) {
    describe(fn, () => {
      it('applies the defaults to a minimal environment', () => {
        const config = parseConfig(SCHEMAS[fn], { ...ENVS[fn] }, fn) as Record<string, unknown>;
        expect(config).toMatchObject({
          // API_KEY_SHA256 is parsed into its entries.
          ...('API_KEY_SHA256' in ENVS[fn] ? {} : ENVS[fn]),
          LOG_LEVEL: 'info',
          AWS_REGION: 'us-east-1',
        });
        expect(config.AWS_ENDPOINT_URL).toBeUndefined();
      });

      for (const name of Object.keys(ENVS[fn])) {
        it(`names ${name} when it is missing`, () => {
          const env: Record<string, string | undefined> = { ...ENVS[fn] };
          delete env[name];
          const error = configError(fn, env);
          expect(error.code).toBe('CONFIG_INVALID');
          expect(error.message).toMatch(new RegExp(`^${fn}: invalid environment: .*${name}`));
        });
      }

      it('names every bad variable at once', () => {
        const error = configError(fn, {
          ...ENVS[fn],
          TABLE_NAME: 'x',
          LOG_LEVEL: 'loud',
          AWS_ENDPOINT_URL: 'not a url',
        });
        expect(error.message).toContain('TABLE_NAME');
        expect(error.message).toContain('LOG_LEVEL');
        expect(error.message).toContain('AWS_ENDPOINT_URL');
      });
    });
  }

  it('upload: parses API_KEY_SHA256 as a comma list and names a bad entry', () => {
    const other = 'CD'.repeat(32);
    expect(
      parseConfig(UploadConfigSchema, { ...ENVS.upload, API_KEY_SHA256: ` ${HASH} ,${other},` }, 'upload')
        .API_KEY_SHA256,
    ).toEqual([
      { owner: 'default', sha256: HASH.toLowerCase() },
      { owner: 'default', sha256: other.toLowerCase() },
    ]);
    expect(configError('upload', { ...ENVS.upload, API_KEY_SHA256: `${HASH},plaintext-key` }).message).toMatch(
      /API_KEY_SHA256: entry 2: each entry must be a hex SHA-256/,
    );
    expect(configError('upload', { ...ENVS.upload, OCR_JOB_QUEUE_URL: 'ocr-queue' }).message).toContain(
      'OCR_JOB_QUEUE_URL',
    );
  });

  it('API_KEY_SHA256 entries name their owner (owner:sha256hex); a bare hash is the default owner', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(64));
    expect(
      parseConfig(
        UploadConfigSchema,
        { ...ENVS.upload, API_KEY_SHA256: `alice:${a}, bob@example.com:${b},${c}` },
        'upload',
      ).API_KEY_SHA256,
    ).toEqual([
      { owner: 'alice', sha256: a },
      { owner: 'bob@example.com', sha256: b },
      { owner: 'default', sha256: c },
    ]);
  });

  it('a bad API_KEY_SHA256 entry is named by position and owner, never echoed', () => {
    const [a, b] = ['a', 'b'].map((x) => x.repeat(64));
    const cases: [string, RegExp][] = [
      [`alice:${a},bob:rf_live_secret`, /API_KEY_SHA256: entry 2 \(owner bob\): each entry must be a hex SHA-256/],
      [`al ice:${a}`, /entry 1: owner must contain only letters/],
      [`:${a}`, /entry 1: owner .*1 to 128 characters/],
      [`${'x'.repeat(129)}:${a}`, /entry 1: owner .*1 to 128 characters/],
      [`alice:${a},bob:${a}`, /entry 2 \(owner bob\): the same key hash as entry 1/],
      [`alice:${a},${b},carol:nope`, /entry 3 \(owner carol\)/],
    ];
    for (const [value, expected] of cases) {
      const message = configError('upload', { ...ENVS.upload, API_KEY_SHA256: value }).message;
      expect(message, value).toMatch(expected);
      expect(message, value).not.toContain('rf_live_secret');
      expect(message, value).not.toContain('nope');
    }
  });

  it('upload: reads the deprecated OCR_QUEUE_URL when OCR_JOB_QUEUE_URL is unset; the new name wins when both are', () => {
    const { OCR_JOB_QUEUE_URL: _, ...old } = ENVS.upload;
    const legacy = 'https://sqs.us-east-1.amazonaws.com/1/legacy-ocr-queue';
    expect(parseConfig(UploadConfigSchema, { ...old, OCR_QUEUE_URL: legacy }, 'upload').OCR_JOB_QUEUE_URL).toBe(legacy);
    expect(parseConfig(UploadConfigSchema, { ...ENVS.upload, OCR_QUEUE_URL: legacy }, 'upload').OCR_JOB_QUEUE_URL).toBe(
      ENVS.upload.OCR_JOB_QUEUE_URL,
    );
    expect(configError('upload', old).message).toContain('OCR_JOB_QUEUE_URL');
  });

  it('upload: an empty API_KEY_SHA256 is refused, since the upload API would be open to anyone', () => {
    for (const value of ['', ' , ']) {
      expect(configError('upload', { ...ENVS.upload, API_KEY_SHA256: value }).message).toContain('API_KEY_SHA256');
    }
  });

  it('process-ocr-results: embedding model and dimensions default, and dimensions are checked', () => {
    const config = parseConfig(
      ProcessOcrResultsConfigSchema,
      { ...ENVS['process-ocr-results'] },
      'process-ocr-results',
    );
    expect(config.EMBEDDING_MODEL).toBe('text-embedding-3-small');
    expect(config.EMBEDDING_DIMENSIONS).toBe(512);
    expect(
      parseConfig(ProcessOcrResultsConfigSchema, { ...ENVS['process-ocr-results'], EMBEDDING_DIMENSIONS: '1536' }, 'p')
        .EMBEDDING_DIMENSIONS,
    ).toBe(1536);
    for (const bad of ['0', '-5', '12.5', 'many', '4096']) {
      expect(
        configError('process-ocr-results', { ...ENVS['process-ocr-results'], EMBEDDING_DIMENSIONS: bad }).message,
      ).toContain('EMBEDDING_DIMENSIONS');
    }
    expect(
      configError('process-ocr-results', { ...ENVS['process-ocr-results'], CHROMA_URL: 'not a url' }).message,
    ).toContain('CHROMA_URL');
  });

  it('process-ocr-results: PLACES_PHONE_COUNTRY is optional, and must be a country code in capitals', () => {
    const env = ENVS['process-ocr-results'];
    expect(parseConfig(ProcessOcrResultsConfigSchema, { ...env }, 'p').PLACES_PHONE_COUNTRY).toBeUndefined();
    expect(
      parseConfig(ProcessOcrResultsConfigSchema, { ...env, PLACES_PHONE_COUNTRY: 'MY' }, 'p').PLACES_PHONE_COUNTRY,
    ).toBe('MY');
    for (const bad of ['my', 'MYS', '60']) {
      expect(configError('process-ocr-results', { ...env, PLACES_PHONE_COUNTRY: bad }).message).toContain(
        'PLACES_PHONE_COUNTRY',
      );
    }
  });

  it('sweep: leaves 15 minutes alone, looks back 2 hours, and refuses an empty window', () => {
    expect(parseConfig(SweepConfigSchema, { ...ENVS.sweep }, 'sweep')).toMatchObject({
      SWEEP_MIN_AGE_SECONDS: 900,
      SWEEP_LOOKBACK_SECONDS: 7200,
      SWEEP_LIMIT: 1000,
    });
    expect(configError('sweep', { ...ENVS.sweep, SWEEP_MIN_AGE_SECONDS: '7200' }).message).toMatch(
      /SWEEP_LOOKBACK_SECONDS: must be longer than SWEEP_MIN_AGE_SECONDS/,
    );
    expect(configError('sweep', { ...ENVS.sweep, SWEEP_LIMIT: '0' }).message).toContain('SWEEP_LIMIT');
  });

  it('compaction: LEASE_MS defaults to 3 minutes and must be a positive integer', () => {
    expect(parseConfig(CompactionConfigSchema, { ...ENVS.compaction }, 'compaction').LEASE_MS).toBe(180_000);
    expect(parseConfig(CompactionConfigSchema, { ...ENVS.compaction, LEASE_MS: '60000' }, 'compaction').LEASE_MS).toBe(
      60_000,
    );
    expect(configError('compaction', { ...ENVS.compaction, LEASE_MS: '0' }).message).toContain('LEASE_MS');
  });
});

describe('Lambda entry modules', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  /** Stubs every variable any function reads to "unset", then sets `env`. */
  function stubEnv(env: Record<string, string>) {
    for (const fn of FUNCTIONS) for (const name of Object.keys(ENVS[fn])) vi.stubEnv(name, undefined);
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  }

  const entries: Record<Fn, () => Promise<{ handler: unknown }>> = {
    upload: () => import('../src/lambda/upload.js'),
    'receipts-read': () => import('../src/lambda/receipts-read.js'),
    'receipts-change': () => import('../src/lambda/receipts-change.js'),
    'receipts-export': () => import('../src/lambda/receipts-export.js'),
    pipeline: () => import('../src/lambda/pipeline.js'),
    'process-ocr-results': () => import('../src/lambda/process-ocr-results.js'),
    'stream-processor': () => import('../src/lambda/stream-processor.js'),
    compaction: () => import('../src/lambda/compaction.js'),
    sweep: () => import('../src/lambda/sweep.js'),
  };

  for (const fn of FUNCTIONS) {
    it(`${fn}: fails at import with a ConfigError naming the missing variable`, async () => {
      const env: Record<string, string> = { ...ENVS[fn] };
      delete env.TABLE_NAME;
      stubEnv(env);
      const error = await entries[fn]().then(
        () => null,
        (e: unknown) => e,
      );
      // resetModules gives a fresh core too, so compare by name and code rather than class.
      expect(error).toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
      expect((error as Error).message).toMatch(new RegExp(`^${fn}: invalid environment: TABLE_NAME`));
    });

    it(`${fn}: imports and exports a handler when the environment is complete`, async () => {
      stubEnv({ ...ENVS[fn] });
      const module = await entries[fn]();
      expect(typeof module.handler).toBe('function');
    });
  }
});
