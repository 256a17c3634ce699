import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explainEndpoints, interfaceEndpointServices, NAT_SERVICES, type EndpointInput } from '../src/endpoints.js';
import { FUNCTION_NAMES, FUNCTION_SPECS, type FunctionName } from '../src/function-specs.js';
import { LAMBDA_SERVICE_SIDS, policyStatements, servicesCalledByCode } from '../src/iam-policies.js';
import { planFunctions } from '../src/plan.js';
import { testConfig } from './helpers.js';

const plans = () => Object.values(planFunctions(testConfig()));

describe('endpoints follow what each function calls', () => {
  it("reads the AWS services each function's code calls from its policy, without the Lambda service's statements", () => {
    expect(servicesCalledByCode('upload', { inVpc: false })).toEqual(['dynamodb', 's3', 'sqs']);
    expect(servicesCalledByCode('stream-processor', { inVpc: false })).toEqual(['sqs']);
    // The consumers' own SQS call: ChangeMessageVisibility for a short retry.
    expect(servicesCalledByCode('process-ocr-results', { inVpc: true })).toEqual(['dynamodb', 's3', 'sqs']);
    expect(servicesCalledByCode('compaction', { inVpc: true, efs: true })).toEqual(['dynamodb', 's3', 'sqs']);
  });

  it("the VPC functions' code calls SQS only to change visibility on its own queue; Logs only the Lambda service writes", () => {
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
      ocrDlqArn: arn,
      ocrResultsDlqArn: arn,
      compactionDlqArn: arn,
      streamDlqArn: arn,
    };
    const own = { 'process-ocr-results': 'arn:own:ocr-results', compaction: 'arn:own:compaction' } as const;
    for (const fn of ['process-ocr-results', 'compaction'] as const) {
      const statements = policyStatements(
        fn,
        { ...arns, ocrResultsQueueArn: own['process-ocr-results'], compactionQueueArn: own.compaction },
        { inVpc: true },
      );
      const logs = statements.filter((s) => s.Action.some((a) => a.startsWith('logs:')));
      expect(logs.length).toBeGreaterThan(0);
      for (const s of logs) expect(LAMBDA_SERVICE_SIDS.has(s.Sid), `${fn} ${s.Sid}`).toBe(true);
      const byCode = statements.filter(
        (s) => !LAMBDA_SERVICE_SIDS.has(s.Sid) && s.Action.some((a) => a.startsWith('sqs:')),
      );
      expect(byCode.map((s) => [s.Action, s.Resource])).toEqual([[['sqs:ChangeMessageVisibility'], own[fn]]]);
      // The mapping's statement no longer carries it: the mapping never changes visibility.
      const mapping = statements.filter((s) => LAMBDA_SERVICE_SIDS.has(s.Sid)).flatMap((s) => s.Action);
      expect(mapping).not.toContain('sqs:ChangeMessageVisibility');
    }
  });

  it('SQS from the VPC goes through the NAT instance: the consumers get the internet path, the stack no SQS endpoint', () => {
    expect(NAT_SERVICES).toHaveProperty('sqs');
    const byName = planFunctions(testConfig());
    expect(byName.compaction.paths).toContain('internet');
    expect(byName['process-ocr-results'].paths.filter((p) => p === 'internet')).toHaveLength(1);
    expect(byName.compaction.paths).not.toContain('sqs');
  });

  it('the default stack needs no interface endpoint; a VPC function with an interface path would get one', () => {
    expect(interfaceEndpointServices(plans())).toEqual([]);
    const callsSqs: EndpointInput[] = plans().map((p) =>
      p.name === 'compaction' ? { ...p, paths: ['sqs', ...p.paths] } : p,
    );
    expect(interfaceEndpointServices(callsSqs)).toEqual(['sqs']);
    // A function outside the VPC never earns one: it reaches AWS through Lambda's own network.
    const outside: EndpointInput[] = plans().map((p) => (p.name === 'upload' ? { ...p, paths: ['sqs'] } : p));
    expect(interfaceEndpointServices(outside)).toEqual([]);
  });

  it("explains why the consumers reach SQS through the NAT, and why the seed's Logs endpoint is not needed", () => {
    const decisions = explainEndpoints(plans());
    const of = (fn: FunctionName, service: string) =>
      decisions.filter((d) => d.function === fn && d.service === service);
    for (const fn of ['compaction', 'process-ocr-results'] as const) {
      expect(of(fn, 'sqs')).toEqual([
        {
          function: fn,
          service: 'sqs',
          verdict: 'nat',
          reason: expect.stringMatching(
            /ChangeMessageVisibility on its own queue.*through the NAT instance.*fails fast/,
          ),
        },
      ]);
    }
    const [logs] = of('process-ocr-results', 'logs');
    expect(logs).toMatchObject({
      verdict: 'not needed',
      reason: expect.stringMatching(/runtime ships stdout\/stderr/),
    });
    expect(of('compaction', 's3')).toMatchObject([{ verdict: 'gateway' }]);
    expect(decisions.some((d) => d.function === 'upload')).toBe(false);
  });

  // The derivation is only as honest as the policy: check that the AWS SDK clients each VPC
  // function's container builds (its module and the shared bindings) are services its code
  // statements cover (the files of that folder it imports included; type-only imports build
  // nothing). A VPC function that started calling a service through a new client would fail
  // here until its policy, and with it the network path, said so.
  it("each VPC function's AWS container module builds clients only for services its policy lets its code call", () => {
    const read = (file: string) =>
      readFileSync(new URL(`../../handlers/src/container/aws/${file}`, import.meta.url), 'utf8').replace(
        /import type [^;]*;/gs,
        '',
      );
    const source = (file: string) => {
      const text = read(file);
      const local = [...text.matchAll(/from '\.\/([a-z0-9-]+)\.js'/g)].map((m) => read(`${m[1]}.ts`));
      return [text, ...local].join('\n');
    };
    const adapterService: Record<string, string | null> = {
      s3: 's3',
      dynamodb: 'dynamodb',
      sqs: 'sqs',
      // S3VectorIndexFiles: the index files in s3 mode.
      vector: 's3',
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
      // A queue consumer's own SQS client, for short retries on its queue (event-sources.ts).
      if (FUNCTION_SPECS[fn].trigger.kind === 'sqs') expect([...services], fn).toContain('sqs');
      const allowed = servicesCalledByCode(fn, { inVpc: true, efs: true });
      for (const service of services) expect(allowed, `${fn} builds a ${service} client`).toContain(service);
    }
  });
});
