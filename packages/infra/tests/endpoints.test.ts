import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explainEndpoints, interfaceEndpointServices, type EndpointInput } from '../src/endpoints.js';
import { FUNCTION_NAMES, FUNCTION_SPECS, type FunctionName } from '../src/function-specs.js';
import { LAMBDA_SERVICE_SIDS, policyStatements, servicesCalledByCode } from '../src/iam-policies.js';
import { planFunctions } from '../src/plan.js';
import { testConfig } from './helpers.js';

const plans = () => Object.values(planFunctions(testConfig()));

describe('endpoints follow what each function calls', () => {
  it("reads the AWS services each function's code calls from its policy, without the Lambda service's statements", () => {
    expect(servicesCalledByCode('upload', { inVpc: false })).toEqual(['dynamodb', 's3', 'sqs']);
    expect(servicesCalledByCode('stream-processor', { inVpc: false })).toEqual(['sqs']);
    expect(servicesCalledByCode('process-ocr-results', { inVpc: true })).toEqual(['dynamodb', 's3']);
    expect(servicesCalledByCode('compaction', { inVpc: true, efs: true })).toEqual(['dynamodb', 's3']);
  });

  it('the SQS and Logs actions of the VPC functions are all in statements the Lambda service uses', () => {
    const arn = 'arn:aws:x:r:0:y';
    const arns = {
      logGroupArn: arn,
      tableArn: arn,
      tableStreamArn: arn,
      rawBucketArn: arn,
      artifactsBucketArn: arn,
      vectorsBucketArn: arn,
      ocrQueueArn: arn,
      ocrResultsQueueArn: arn,
      compactionQueueArn: arn,
      streamDlqArn: arn,
    };
    for (const fn of ['process-ocr-results', 'compaction'] as const) {
      const statements = policyStatements(fn, arns, { inVpc: true });
      const sqsOrLogs = statements.filter((s) => s.Action.some((a) => a.startsWith('sqs:') || a.startsWith('logs:')));
      expect(sqsOrLogs.length).toBeGreaterThan(0);
      for (const s of sqsOrLogs) expect(LAMBDA_SERVICE_SIDS.has(s.Sid), `${fn} ${s.Sid}`).toBe(true);
    }
  });

  it('the default stack needs no interface endpoint; a VPC function that called SQS would get one', () => {
    expect(interfaceEndpointServices(plans())).toEqual([]);
    const callsSqs: EndpointInput[] = plans().map((p) =>
      p.name === 'compaction' ? { ...p, paths: ['sqs', ...p.paths] } : p,
    );
    expect(interfaceEndpointServices(callsSqs)).toEqual(['sqs']);
    // A function outside the VPC never earns one: it reaches AWS through Lambda's own network.
    const outside: EndpointInput[] = plans().map((p) => (p.name === 'upload' ? { ...p, paths: ['sqs'] } : p));
    expect(interfaceEndpointServices(outside)).toEqual([]);
  });

  it("explains why the seed's SQS and Logs endpoints are not needed", () => {
    const decisions = explainEndpoints(plans());
    const of = (fn: FunctionName, service: string) => decisions.find((d) => d.function === fn && d.service === service);
    expect(of('compaction', 'sqs')).toMatchObject({ verdict: 'not needed' });
    expect(of('compaction', 'sqs')!.reason).toMatch(
      /event source mapping polls compaction-queue from the Lambda service, outside the VPC/,
    );
    expect(of('process-ocr-results', 'sqs')!.reason).toMatch(/polls ocr-results-queue/);
    expect(of('process-ocr-results', 'logs')).toMatchObject({
      verdict: 'not needed',
      reason: expect.stringMatching(/runtime ships stdout\/stderr/),
    });
    expect(of('compaction', 's3')).toMatchObject({ verdict: 'gateway' });
    expect(decisions.some((d) => d.function === 'upload')).toBe(false);
  });

  // The derivation is only as honest as the policy: check that the AWS SDK clients each VPC
  // function's container builds (its module and the shared bindings) are services its code
  // statements cover. A VPC function that started calling SQS through a new client would fail
  // here until its policy, and with it the endpoint, said so.
  it("each VPC function's AWS container module builds clients only for services its policy lets its code call", () => {
    const source = (file: string) =>
      readFileSync(new URL(`../../handlers/src/container/aws/${file}`, import.meta.url), 'utf8');
    const adapterService: Record<string, string | null> = {
      s3: 's3',
      dynamodb: 'dynamodb',
      sqs: 'sqs',
      chroma: null,
      openai: null,
      places: null,
    };
    for (const fn of FUNCTION_NAMES.filter((f) => FUNCTION_SPECS[f].inVpc)) {
      const text = source(`${fn}-module.ts`) + source('common-bindings.ts');
      const services = new Set<string>();
      for (const m of text.matchAll(/from '@aws-sdk\/(?:client|lib)-([a-z0-9-]+)'/g)) services.add(m[1]!);
      for (const m of text.matchAll(/from '@receiptflow\/adapters-aws\/([a-z0-9-]+)'/g)) {
        const service = adapterService[m[1]!];
        expect(service, `unknown adapter ${m[1]} in ${fn}`).not.toBeUndefined();
        if (service) services.add(service);
      }
      expect(services.size).toBeGreaterThan(0);
      const allowed = servicesCalledByCode(fn, { inVpc: true, efs: true });
      for (const service of services) expect(allowed, `${fn} builds a ${service} client`).toContain(service);
    }
  });
});
