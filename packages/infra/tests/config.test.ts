import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStackFileConfig, rawConfigFromStackYaml } from '../src/cli/stack-file.js';
import { parseStackConfig, readStackConfig } from '../src/config.js';
import { MissingBundleError } from '../src/errors.js';
import { WILDCARD_ONLY_ACTIONS, ocrWorkerStatements, policyStatements, type PolicyArns } from '../src/iam-policies.js';
import { functionCode } from '../src/lambdas.js';
import { cidrContains, isGraviton, subnetCidrs } from '../src/net-math.js';
import { natAmiParameter } from '../src/network.js';
import { checkLimits, limitsOfPlan, planFunctions, planQueues } from '../src/plan.js';
import { createStack } from '../src/stack.js';
import { testConfig } from './helpers.js';

describe('stack config', () => {
  it('applies defaults', () => {
    const cfg = testConfig();
    expect(cfg).toMatchObject({
      natInstanceType: 't4g.nano',
      azCount: 2,
      maxReceiveCount: 5,
      vectorStorageMode: 'efs',
    });
    expect(cfg.chromaUrl).toBeUndefined();
  });

  it('vectorStorageMode: server needs a Chroma URL (no placeholder), efs and s3 refuse one', () => {
    expect(() => testConfig({ vectorStorageMode: 'server' })).toThrow(
      /receiptflow:chromaUrl: required when vectorStorageMode is server and chromaMode is external \(there is no default URL\)/,
    );
    expect(testConfig({ vectorStorageMode: 'server', chromaUrl: 'https://chroma.internal:8443' })).toMatchObject({
      vectorStorageMode: 'server',
    });
    expect(testConfig({ vectorStorageMode: 'server', chromaMode: 'fargate' })).toMatchObject({ chromaMode: 'fargate' });
    expect(() => testConfig({ chromaUrl: 'https://chroma.internal' })).toThrow(
      /receiptflow:chromaUrl: only used when vectorStorageMode is server \(it is efs\)/,
    );
    expect(testConfig({ vectorStorageMode: 's3' })).toMatchObject({ vectorStorageMode: 's3' });
    expect(() => testConfig({ vectorStorageMode: 's3', chromaUrl: 'https://chroma.internal' })).toThrow(
      /receiptflow:chromaUrl: only used when vectorStorageMode is server \(it is s3\)/,
    );
    expect(() => testConfig({ vectorStorageMode: 'disk' })).toThrow(/receiptflow:vectorStorageMode/);
  });

  it('names every bad key in one error', () => {
    expect(() =>
      testConfig({
        natInstanceType: 'tiny',
        maxReceiveCount: '3',
        apiKeySha256: 'not-hex',
        natInstancType: 't4g.nano',
      }),
    ).toThrow(
      [
        'Invalid stack config:',
        '  receiptflow:natInstanceType: an EC2 instance type such as t4g.nano',
        '  receiptflow:maxReceiveCount: Too small: expected number to be >=5',
        '  receiptflow:apiKeySha256: comma-separated lowercase hex SHA-256 digests (64 chars each), each optionally after its owner and a colon (owner:sha256)',
        '  receiptflow:natInstancType: unknown config key (typo?)',
      ].join('\n'),
    );
  });

  it('requires the secrets and a Chroma URL for an external Chroma', () => {
    expect(() => parseStackConfig({ vectorStorageMode: 'server', chromaUrl: 'https://c.example.com' })).toThrow(
      [
        'Invalid stack config:',
        '  receiptflow:openaiApiKey: required; set it with `pulumi config set --secret openaiApiKey ...`',
        '  receiptflow:googlePlacesApiKey: required; set it with `pulumi config set --secret googlePlacesApiKey ...`',
        '  receiptflow:apiKeySha256: required; set it with `pulumi config set --secret apiKeySha256 ...`',
      ].join('\n'),
    );
    expect(() =>
      testConfig({ vectorStorageMode: 'server', chromaMode: 'fargate', chromaUrl: 'https://c.example.com' }),
    ).toThrow(/receiptflow:chromaUrl: must be unset when chromaMode is fargate/);
    expect(() => testConfig({ apiDomainName: 'api.example.com' })).toThrow(
      /receiptflow:apiDomainName: needs apiCertificateArn, or apiHostedZoneId/,
    );
  });

  it('parses JSON-valued keys and reports the nested field', () => {
    const cfg = testConfig({ functions: JSON.stringify({ compaction: { timeoutSeconds: 300 } }) });
    expect(cfg.functions.compaction).toEqual({ timeoutSeconds: 300 });
    expect(() => testConfig({ functions: JSON.stringify({ compaction: { timeoutSeconds: 1000 } }) })).toThrow(
      /receiptflow:functions \(at compaction\.timeoutSeconds\): Too big/,
    );
  });

  it("apiKeySha256 takes owner:sha256 entries beside bare digests (the default owner's keys)", () => {
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)] as const;
    expect(
      testConfig({ apiKeySha256: `alice:${a},bob@example.com:${b},${a.replace(/a/g, 'c')}` }).apiKeySha256,
    ).toContain('alice:');
    for (const bad of [`al ice:${a}`, `:${a}`, `alice:${a.slice(1)}`, `alice:${a},`]) {
      expect(() => testConfig({ apiKeySha256: bad }), bad).toThrow(/apiKeySha256/);
    }
  });

  it('refuses secrets stored in plain text', () => {
    const all = {
      'receiptflow:openaiApiKey': 'sk',
      'receiptflow:googlePlacesApiKey': 'g',
      'receiptflow:apiKeySha256': 'b'.repeat(64),
      'aws:region': 'us-east-1',
    };
    expect(() => readStackConfig(all, (k) => k !== 'receiptflow:openaiApiKey')).toThrow(
      'receiptflow:openaiApiKey: stored in plain text; set it with `pulumi config set --secret openaiApiKey`',
    );
    expect(readStackConfig(all, () => true).openaiApiKey).toBe('sk');
  });

  it('reads a stack file, standing in for encrypted values', () => {
    const raw = rawConfigFromStackYaml(
      [
        'config:',
        '  aws:region: us-east-1',
        '  receiptflow:azCount: "3"',
        '  receiptflow:openaiApiKey:',
        '    secure: AAAB',
        '  receiptflow:availabilityZones:',
        '    - us-east-1a',
      ].join('\n'),
    );
    expect(raw).toEqual({ azCount: '3', openaiApiKey: 'doctor-stand-in', availabilityZones: '["us-east-1a"]' });
    const { config } = loadStackFileConfig({ stack: 'dev' }); // the committed example
    expect(config).toMatchObject({
      placeholderCode: true,
      natInstanceType: 't4g.nano',
      apiKeySha256: '0'.repeat(64),
      vectorStorageMode: 'efs',
    });
    expect(config.chromaUrl).toBeUndefined();
  });
});

// docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached, docs/lessons.md#lesson-17-timeouts-that-did-not-fit
describe('DLQ reachability and Lambda timeouts on the plan', () => {
  it('accepts the defaults', () => {
    const cfg = testConfig();
    const fns = planFunctions(cfg);
    const queues = planQueues(cfg, fns);
    expect(checkLimits(limitsOfPlan(queues, fns))).toEqual([]);
    expect(queues.map((q) => [q.baseName, q.visibilityTimeoutSeconds, q.maxReceiveCount])).toEqual([
      ['ocr-queue', 720, 5],
      ['ocr-results-queue', 1800, 5],
      ['compaction-queue', 3600, 5],
    ]);
  });

  it('reports a maxReceiveCount that retention cannot reach (the seed: 1000 at 900 s over 4 days)', () => {
    expect(
      checkLimits({
        queues: [
          {
            name: 'q',
            visibilityTimeoutSeconds: 900,
            messageRetentionSeconds: 345_600,
            maxReceiveCount: 1000,
            consumerTimeoutSeconds: 150,
          },
        ],
        mappings: [],
      }),
    ).toEqual([
      'q: maxReceiveCount 1000 cannot be reached within retention (345600 s / visibility 900 s allows 384 receives); a failing message would expire instead of reaching the DLQ',
    ]);
  });

  it('reports maxReceiveCount below 5, a visibility under 6 × the timeout, and reserved < max concurrency', () => {
    expect(
      checkLimits({
        queues: [
          {
            name: 'q',
            visibilityTimeoutSeconds: 900,
            messageRetentionSeconds: 345_600,
            maxReceiveCount: 1,
            consumerTimeoutSeconds: 900,
          },
        ],
        mappings: [
          { functionName: 'f', maxConcurrency: 5, reservedConcurrency: 2 },
          { functionName: 'g', maxConcurrency: 2, reservedConcurrency: undefined },
        ],
      }),
    ).toEqual([
      'q: maxReceiveCount 1 is below 5; a few throttled polls would dead-letter a good message',
      "q: visibility timeout 900 s is below 6 × the consumer's timeout (900 s)",
      "f: reserved concurrency 2 is below the event source's maximum concurrency 5; throttled polls would count as receives",
      "g: reserved concurrency unset is below the event source's maximum concurrency 2; throttled polls would count as receives",
    ]);
  });

  it('refuses to build a stack whose overrides break the limits', () => {
    const cfg = testConfig({ functions: JSON.stringify({ compaction: { maxConcurrency: 10 } }) });
    expect(() => createStack(cfg, 'dev')).toThrow(
      /compaction: reserved concurrency 2 is below the event source's maximum concurrency 10/,
    );
    const long = testConfig({ messageRetentionSeconds: '3600' });
    expect(() => createStack(long, 'dev')).toThrow(
      /ocr-results-queue: maxReceiveCount 5 cannot be reached within retention/,
    );
  });
});

describe('bundles', () => {
  it('fails with the build command when a bundle is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-dist-'));
    expect(() => functionCode({ placeholderCode: false, handlersDistDir: dir }, 'upload')).toThrow(MissingBundleError);
    expect(() => functionCode({ placeholderCode: false, handlersDistDir: dir }, 'upload')).toThrow(
      /pnpm --filter @receiptflow\/handlers build/,
    );
  });

  it('packages dist/<name>/ when it exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-dist-'));
    mkdirSync(join(dir, 'compaction'));
    writeFileSync(join(dir, 'compaction', 'index.mjs'), 'export const handler = async () => ({});\n');
    expect(functionCode({ placeholderCode: false, handlersDistDir: dir }, 'compaction')).toBeDefined();
  });
});

describe('IAM statements (pure)', () => {
  const arns: PolicyArns = {
    logGroupArn: 'arn:lg',
    tableArn: 'arn:table',
    tableStreamArn: 'arn:table/stream/x',
    rawBucketArn: 'arn:raw',
    artifactsBucketArn: 'arn:art',
    vectorsBucketArn: 'arn:vec',
    ocrQueueArn: 'arn:ocrq',
    ocrResultsQueueArn: 'arn:resq',
    compactionQueueArn: 'arn:compq',
    ocrDlqArn: 'arn:ocr-dlq',
    ocrResultsDlqArn: 'arn:ocr-results-dlq',
    compactionDlqArn: 'arn:compaction-dlq',
    streamDlqArn: 'arn:sdlq',
  };
  it('uses `*` only for actions without resource-level permissions', () => {
    for (const fn of ['upload', 'process-ocr-results', 'stream-processor', 'compaction'] as const) {
      for (const inVpc of [false, true]) {
        for (const s of policyStatements(fn, arns, { inVpc })) {
          if (s.Resource === '*') expect(s.Action.every((a) => WILDCARD_ONLY_ACTIONS.has(a))).toBe(true);
        }
      }
    }
    for (const s of ocrWorkerStatements(arns)) expect(s.Resource).not.toBe('*');
  });
});

describe('network arithmetic', () => {
  it('lays out subnets and matches CIDRs', () => {
    expect(subnetCidrs('10.20.0.0/16', 2)).toEqual({
      public: ['10.20.0.0/24', '10.20.1.0/24'],
      private: ['10.20.100.0/24', '10.20.101.0/24'],
    });
    expect(cidrContains('0.0.0.0/0', '10.20.100.0/24')).toBe(true);
    expect(cidrContains('10.20.0.0/16', '10.20.100.0/24')).toBe(true);
    expect(cidrContains('10.20.100.0/24', '10.20.101.0/24')).toBe(false);
    expect(cidrContains('10.20.100.0/24', '10.20.0.0/16')).toBe(false);
  });

  it('picks the AMI architecture from the NAT instance type', () => {
    expect([isGraviton('t4g.nano'), isGraviton('c7gn.large'), isGraviton('t3.nano'), isGraviton('g5.xlarge')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(natAmiParameter('t4g.nano')).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64');
    expect(natAmiParameter('t3.nano')).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
  });
});
