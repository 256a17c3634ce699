import { beforeAll, describe, expect, it } from 'vitest';
import { collectStack, ofType, type Collected, type DeclaredResource } from '../src/doctor/collect.js';
import { API_ROUTES } from '../src/api-routes.js';
import { FUNCTION_NAMES } from '../src/function-specs.js';
import { testConfig } from './helpers.js';

// The defaults (default endpoint, no domain), and a custom domain with its own failure threshold.
let base: Collected;
let domain: Collected;
beforeAll(async () => {
  base = await collectStack(testConfig());
  domain = await collectStack(
    testConfig({
      apiDomainName: 'api.example.com',
      apiHostedZoneId: 'Z0EXAMPLE',
      failureAlarmThreshold: '3',
      logRetentionDays: '90',
      placesPhoneCountry: 'GB',
    }),
  );
});

const named = (c: Collected, name: string): DeclaredResource => {
  const r = c.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}`);
  return r;
};
const FUNCTIONS: readonly string[] = FUNCTION_NAMES;
/** The handlers that count EMF Failures: the API routers, the consumers (the authorizer and the sweep write none). */
const WRITING_FAILURES = [
  'upload',
  'receipts-read',
  'receipts-change',
  'receipts-export',
  'process-ocr-results',
  'stream-processor',
  'compaction',
];

describe('API edge', () => {
  it('puts a cached Lambda REQUEST authorizer on the bearer header in front of every route', () => {
    expect(named(base, 'api-authorizer').inputs).toMatchObject({
      apiId: 'http-api',
      authorizerType: 'REQUEST',
      authorizerUri: expect.stringContaining('function:receiptflow-dev-authorizer/invocations'),
      authorizerPayloadFormatVersion: '2.0',
      enableSimpleResponses: true,
      // Without the header API Gateway answers 401 itself; with it, one answer per value is cached.
      identitySources: ['$request.header.Authorization'],
      authorizerResultTtlInSeconds: 300,
    });
    const routes = ofType(base.resources, 'aws:apigatewayv2/route:Route');
    expect(routes).toHaveLength(Object.keys(API_ROUTES).length);
    for (const r of routes)
      expect(r.inputs, r.inputs.routeKey).toMatchObject({
        authorizationType: 'CUSTOM',
        authorizerId: 'api-authorizer',
      });
    expect(named(base, 'authorizer-invoke-from-api').inputs).toMatchObject({
      function: 'receiptflow-dev-authorizer',
      principal: 'apigateway.amazonaws.com',
      sourceArn: 'arn:aws:execute-api:us-east-1:123456789012:http-api/authorizers/api-authorizer',
    });
  });

  it('gives the authorizer the key hashes and the log level only, as a secret', () => {
    const f = named(base, 'authorizer').inputs;
    expect(f.environment.variables).toEqual({ LOG_LEVEL: 'info', API_KEY_SHA256: 'a'.repeat(64) });
    expect(f).toMatchObject({ runtime: 'nodejs22.x', timeout: 5, memorySize: 128 });
  });

  it('keeps the default execute-api endpoint without a domain, and disables it when a custom domain is set', () => {
    expect(named(base, 'http-api').inputs.disableExecuteApiEndpoint).toBe(false);
    expect(named(domain, 'http-api').inputs.disableExecuteApiEndpoint).toBe(true);
    expect(domain.outputs.apiUrl).toBe('https://api.example.com');
    expect(base.outputs.apiUrl).toBe('https://http-api.execute-api.us-east-1.amazonaws.com');
  });

  it('writes JSON access logs of the stage to their own log group, kept logRetentionDays', () => {
    for (const [c, days] of [
      [base, 30],
      [domain, 90],
    ] as const) {
      const group = named(c, 'api-access-logs').inputs;
      expect(group).toMatchObject({ name: '/aws/apigateway/receiptflow-dev-api', retentionInDays: days });
      const settings = named(c, 'default-stage').inputs.accessLogSettings;
      expect(settings.destinationArn).toBe(
        'arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/receiptflow-dev-api',
      );
      const format = JSON.parse(settings.format);
      expect(format).toMatchObject({
        requestId: '$context.requestId',
        status: '$context.status',
        routeKey: '$context.routeKey',
        authorizerError: '$context.authorizer.error',
      });
    }
  });
});

describe('alarms on failures and DLQ depth', () => {
  const alarmsOf = (c: Collected) => ofType(c.resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').map((a) => a.inputs);

  it('alarms on each DLQ having any message, the stream DLQ included', () => {
    const dlq = alarmsOf(base).filter((a) => a.metricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlq.map((a) => a.dimensions.QueueName).sort()).toEqual([
      'receiptflow-dev-compaction-queue-dlq',
      'receiptflow-dev-ocr-queue-dlq',
      'receiptflow-dev-ocr-results-queue-dlq',
      'receiptflow-dev-stream-processor-dlq',
    ]);
    // Every DLQ declared has its alarm.
    const dlqs = ofType(base.resources, 'aws:sqs/queue:Queue')
      .map((q) => q.inputs.name)
      .filter((n: string) => n.endsWith('-dlq'));
    expect(dlq.map((a) => a.dimensions.QueueName).sort()).toEqual(dlqs.sort());
    for (const a of dlq)
      expect(a).toMatchObject({
        namespace: 'AWS/SQS',
        statistic: 'Maximum',
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
      });
  });

  it('alarms per function on the EMF Failures its handler writes, at failureAlarmThreshold in 5 minutes', () => {
    for (const [c, atLeast] of [
      [base, 5],
      [domain, 3],
    ] as const) {
      const failures = alarmsOf(c).filter((a) => a.metricName === 'Failures');
      expect(failures.map((a) => a.dimensions.Function).sort()).toEqual(
        WRITING_FAILURES.map((f) => `receiptflow-dev-${f}`).sort(),
      );
      for (const a of failures) {
        expect(a).toMatchObject({
          statistic: 'Sum',
          period: 300,
          threshold: atLeast - 1,
          comparisonOperator: 'GreaterThanThreshold',
          treatMissingData: 'notBreaching',
        });
      }
    }
    // The alarm reads the namespace the functions are told to write to.
    const namespaces = new Set(
      alarmsOf(base)
        .filter((a) => a.metricName === 'Failures')
        .map((a) => a.namespace),
    );
    const env = named(base, 'process-ocr-results').inputs.environment.variables;
    expect([...namespaces]).toEqual([env.METRICS_NAMESPACE]);
  });

  it('alarms per function on any Lambda invocation error (crashes and timeouts write no EMF)', () => {
    const errors = alarmsOf(base).filter((a) => a.namespace === 'AWS/Lambda');
    expect(errors.map((a) => [a.dimensions.FunctionName, a.metricName, a.threshold]).sort()).toEqual(
      FUNCTIONS.map((f) => [`receiptflow-dev-${f}`, 'Errors', 0]).sort(),
    );
  });

  it('alarms on the first compaction run abandoned, which nothing will retry', () => {
    const abandoned = alarmsOf(base).filter((a) => a.metricName === 'RunsAbandoned');
    expect(abandoned).toEqual([
      expect.objectContaining({
        namespace: named(base, 'compaction').inputs.environment.variables.METRICS_NAMESPACE,
        dimensions: { Function: 'receiptflow-dev-compaction' },
        statistic: 'Sum',
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
      }),
    ]);
  });

  it("tells each queue consumer its queue's maxReceiveCount, so that it can count DLQ sends", () => {
    const c = domain;
    const env = (fn: string) => named(c, fn).inputs.environment.variables;
    const redrive = (q: string) => JSON.parse(named(c, q).inputs.redrivePolicy).maxReceiveCount;
    expect(env('process-ocr-results').MAX_RECEIVE_COUNT).toBe(String(redrive('ocr-results-queue')));
    expect(env('compaction').MAX_RECEIVE_COUNT).toBe(String(redrive('compaction-queue')));
    expect(env('upload').MAX_RECEIVE_COUNT).toBeUndefined();
    expect(env('stream-processor').MAX_RECEIVE_COUNT).toBeUndefined();
  });

  it('tells only the function that calls Places the phone country, and only when it is set', () => {
    const env = (c: Collected, fn: string) => named(c, fn).inputs.environment.variables;
    expect(env(domain, 'process-ocr-results').PLACES_PHONE_COUNTRY).toBe('GB');
    for (const fn of FUNCTIONS.filter((f) => f !== 'process-ocr-results')) {
      expect(named(domain, fn).inputs.environment?.variables?.PLACES_PHONE_COUNTRY).toBeUndefined();
    }
    expect(env(base, 'process-ocr-results').PLACES_PHONE_COUNTRY).toBeUndefined();
    expect(() => testConfig({ placesPhoneCountry: 'uk' })).toThrow(/receiptflow:placesPhoneCountry/);
  });
});
