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
      apiKeySha256: `${'a'.repeat(64)},ops:${'b'.repeat(64)}`,
      operatorOwners: '["ops"]',
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
  'pipeline',
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

  it('tells only the functions that call Places the phone country, and only when it is set', () => {
    const env = (c: Collected, fn: string) => named(c, fn).inputs.environment.variables;
    // process-OCR-results resolves merchants; receipts-change serves GET /places.
    const callingPlaces = ['process-ocr-results', 'receipts-change'];
    for (const fn of callingPlaces) {
      expect(env(domain, fn).PLACES_PHONE_COUNTRY).toBe('GB');
      expect(env(base, fn).PLACES_PHONE_COUNTRY).toBeUndefined();
    }
    for (const fn of FUNCTIONS.filter((f) => !callingPlaces.includes(f))) {
      expect(named(domain, fn).inputs.environment?.variables?.PLACES_PHONE_COUNTRY).toBeUndefined();
    }
    expect(() => testConfig({ placesPhoneCountry: 'uk' })).toThrow(/receiptflow:placesPhoneCountry/);
  });
});

describe('the operator routes on AWS (issue 16)', () => {
  const fn = (c: Collected, name: string) => named(c, name).inputs;
  const statements = (c: Collected) =>
    JSON.parse(named(c, 'pipeline-policy').inputs.policy as string).Statement as {
      Sid: string;
      Action: string[];
      Resource: string | string[];
    }[];

  it('the pipeline function runs outside the VPC, told its DLQs and its operators (none by default)', () => {
    expect(fn(base, 'pipeline').vpcConfig).toBeUndefined();
    const vars = fn(base, 'pipeline').environment.variables as Record<string, string>;
    expect(vars.OPERATOR_OWNERS).toBe('');
    expect(fn(domain, 'pipeline').environment.variables.OPERATOR_OWNERS).toBe('ops');
    for (const [name, queue] of [
      ['OCR_DLQ_URL', 'ocr-queue-dlq'],
      ['OCR_RESULTS_DLQ_URL', 'ocr-results-queue-dlq'],
      ['COMPACTION_DLQ_URL', 'compaction-queue-dlq'],
    ] as const)
      expect(vars[name]).toContain(queue);
    // Only the operators' function is told where the DLQs are, or who the operators are.
    for (const other of FUNCTIONS.filter((f) => f !== 'pipeline')) {
      const env = (named(base, other).inputs.environment?.variables ?? {}) as Record<string, string>;
      expect(
        Object.keys(env).filter((k) => k.endsWith('_DLQ_URL') || k === 'OPERATOR_OWNERS'),
        other,
      ).toEqual([]);
    }
  });

  it('its role: queue depths on all six queues, listing and removal on the DLQs only, sends to the work queues only, GSI1 and GetItem on the table', () => {
    const bySid = Object.fromEntries(statements(base).map((st) => [st.Sid, st]));
    expect(Object.keys(bySid)).toEqual([
      'WriteOwnLogs',
      'CountJobsAndRuns',
      'ReadNamedJobs',
      'QueueDepths',
      'ListDeadLetters',
      'RedriveToWorkQueues',
      'RemoveRedriven',
    ]);
    const names = (r: string | string[]) => ([] as string[]).concat(r).map((arn) => arn.split(':').pop()!);
    const dlqs = [
      'receiptflow-dev-ocr-queue-dlq',
      'receiptflow-dev-ocr-results-queue-dlq',
      'receiptflow-dev-compaction-queue-dlq',
    ];
    const work = ['receiptflow-dev-ocr-queue', 'receiptflow-dev-ocr-results-queue', 'receiptflow-dev-compaction-queue'];
    expect(names(bySid.QueueDepths!.Resource)).toEqual([...work, ...dlqs]);
    expect(bySid.ListDeadLetters).toMatchObject({ Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility'] });
    expect(names(bySid.ListDeadLetters!.Resource)).toEqual(dlqs);
    expect(bySid.RemoveRedriven!.Action).toEqual(['sqs:DeleteMessage']);
    expect(names(bySid.RemoveRedriven!.Resource)).toEqual(dlqs);
    expect(bySid.RedriveToWorkQueues!.Action).toEqual(['sqs:SendMessage']);
    expect(names(bySid.RedriveToWorkQueues!.Resource)).toEqual(work);
    expect(bySid.CountJobsAndRuns).toMatchObject({
      Action: ['dynamodb:Query'],
      Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/receiptflow-dev-jobs/index/GSI1',
    });
    expect(bySid.ReadNamedJobs).toMatchObject({
      Action: ['dynamodb:GetItem'],
      Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/receiptflow-dev-jobs',
    });
    // Never the stream processor's failure queue, never a write to the table, never a bucket.
    const all = statements(base).flatMap((st) => ([] as string[]).concat(st.Resource));
    expect(all.some((r) => r.includes('stream-processor-dlq') || r.includes(':s3:'))).toBe(false);
  });

  it('the receipts-change function gets the Places key for GET /places, and stays outside the VPC', () => {
    expect(fn(base, 'receipts-change').vpcConfig).toBeUndefined();
    expect(fn(base, 'receipts-change').environment.variables.GOOGLE_PLACES_API_KEY).toBeDefined();
    expect(fn(base, 'receipts-read').environment.variables.GOOGLE_PLACES_API_KEY).toBeUndefined();
    expect(fn(base, 'pipeline').environment.variables.GOOGLE_PLACES_API_KEY).toBeUndefined();
  });

  it('refuses an operator owner that no API key belongs to', () => {
    expect(() => testConfig({ operatorOwners: '["ops"]' })).toThrow(/receiptflow:operatorOwners: ops: no key/);
    expect(() => testConfig({ operatorOwners: '["bad owner"]' })).toThrow(/receiptflow:operatorOwners/);
    expect(testConfig({ operatorOwners: '["default"]' }).operatorOwners).toEqual(['default']);
    expect(testConfig().operatorOwners).toEqual([]);
  });
});
