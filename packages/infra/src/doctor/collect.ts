import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../config.js';
import { createStack } from '../stack.js';

/** A resource as the program declared it, seen through Pulumi mocks. */
export interface DeclaredResource {
  /** Pulumi type token, e.g. `aws:ec2/subnet:Subnet`. */
  type: string;
  /** Logical name; under the mocks it is also the resource's id. */
  name: string;
  /** Inputs with every output resolved (ids are logical names). */
  inputs: Record<string, any>;
  /** What the mock returned: inputs plus computed attributes (arn, url, ...). */
  state: Record<string, any>;
}

export const MOCK_REGION = 'us-east-1';
export const MOCK_ACCOUNT = '123456789012';
export const MOCK_ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

const SECRET_SIG = '4dabf18193072939515e22adb298388d';

/** Mocks hand secrets over as signature-wrapped objects; the collector wants plain values. */
function unwrapSecrets(value: unknown): any {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (SECRET_SIG in obj && 'value' in obj) return unwrapSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** Computed attributes that the program or the doctor read, per resource type. */
function computedState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  const R = MOCK_REGION;
  const A = MOCK_ACCOUNT;
  switch (type) {
    case 'aws:sqs/queue:Queue': {
      const q = inputs.name ?? name;
      return { name: q, arn: `arn:aws:sqs:${R}:${A}:${q}`, url: `https://sqs.${R}.amazonaws.com/${A}/${q}` };
    }
    case 'aws:s3/bucket:Bucket': {
      const bucket = inputs.bucket ?? `${name}-0000000`;
      return { bucket, arn: `arn:aws:s3:::${bucket}` };
    }
    case 'aws:dynamodb/table:Table': {
      const arn = `arn:aws:dynamodb:${R}:${A}:table/${inputs.name ?? name}`;
      return { arn, streamArn: `${arn}/stream/2025-01-01T00:00:00.000` };
    }
    case 'aws:cloudwatch/logGroup:LogGroup':
      return { arn: `arn:aws:logs:${R}:${A}:log-group:${inputs.name ?? name}` };
    case 'aws:lambda/function:Function': {
      const arn = `arn:aws:lambda:${R}:${A}:function:${inputs.name ?? name}`;
      return { arn, invokeArn: `arn:aws:apigateway:${R}:lambda:path/2015-03-31/functions/${arn}/invocations` };
    }
    case 'aws:iam/role:Role':
      return { arn: `arn:aws:iam::${A}:role/${inputs.name ?? name}` };
    case 'aws:cloudwatch/eventRule:EventRule':
      return { arn: `arn:aws:events:${R}:${A}:rule/${inputs.name ?? name}` };
    case 'aws:iam/policy:Policy':
      return { arn: `arn:aws:iam::${A}:policy/${inputs.name ?? name}` };
    case 'aws:efs/fileSystem:FileSystem':
      return { arn: `arn:aws:elasticfilesystem:${R}:${A}:file-system/${name}` };
    case 'aws:efs/accessPoint:AccessPoint':
      return { arn: `arn:aws:elasticfilesystem:${R}:${A}:access-point/${name}` };
    case 'aws:ec2/instance:Instance':
      return { primaryNetworkInterfaceId: `${name}-eni`, arn: `arn:aws:ec2:${R}:${A}:instance/${name}` };
    case 'aws:ec2/eip:Eip':
      return {
        allocationId: `eipalloc-${name}`,
        publicIp: '203.0.113.10',
        arn: `arn:aws:ec2:${R}:${A}:elastic-ip/eipalloc-${name}`,
      };
    case 'aws:apigatewayv2/api:Api':
      return {
        executionArn: `arn:aws:execute-api:${R}:${A}:${name}`,
        apiEndpoint: `https://${name}.execute-api.${R}.amazonaws.com`,
      };
    case 'aws:acm/certificate:Certificate':
      return {
        arn: `arn:aws:acm:${R}:${A}:certificate/${name}`,
        domainValidationOptions: [
          {
            domainName: inputs.domainName,
            resourceRecordName: `_x.${inputs.domainName}.`,
            resourceRecordType: 'CNAME',
            resourceRecordValue: '_y.acm-validations.aws.',
          },
        ],
      };
    case 'aws:acm/certificateValidation:CertificateValidation':
      return { certificateArn: inputs.certificateArn };
    case 'aws:apigatewayv2/domainName:DomainName':
      return {
        domainNameConfiguration: {
          ...inputs.domainNameConfiguration,
          targetDomainName: `d-${name}.execute-api.${R}.amazonaws.com`,
          hostedZoneId: 'Z1UJRXOUMOOFQ8',
        },
      };
    case 'aws:route53/record:Record':
      return { fqdn: inputs.name };
    default:
      return { arn: `arn:aws:mock:${R}:${A}:${type.split(':').pop()}/${name}` };
  }
}

function invokeResult(token: string): Record<string, unknown> {
  switch (token) {
    case 'aws:index/getRegion:getRegion':
      return { name: MOCK_REGION, region: MOCK_REGION, id: MOCK_REGION };
    case 'aws:index/getAvailabilityZones:getAvailabilityZones':
      return { names: MOCK_ZONES, zoneIds: MOCK_ZONES.map((_, i) => `use1-az${i + 1}`), id: MOCK_REGION };
    case 'aws:ssm/getParameter:getParameter':
      return { value: 'ami-0123456789abcdef0', type: 'String' };
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return { accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/mock`, userId: 'mock' };
    default:
      return {};
  }
}

/**
 * Mocks that answer like AWS would (ids are logical names, ARNs and URLs are derived) and push
 * every declared resource onto `sink`.
 */
export function recordingMocks(sink: DeclaredResource[]): pulumi.runtime.Mocks {
  return {
    newResource: (args) => {
      const inputs = unwrapSecrets(args.inputs) as Record<string, any>;
      const state = { ...inputs, ...computedState(args.type, args.name, inputs) };
      sink.push({ type: args.type, name: args.name, inputs, state });
      return { id: args.name, state };
    },
    call: (args) => invokeResult(args.token),
  };
}

/** What one mocked run of the program declared. */
export interface Collected {
  resources: DeclaredResource[];
  /** The stack outputs, resolved. */
  outputs: Record<string, unknown>;
}

/**
 * Runs the program in-process under Pulumi mocks (no CLI, no cloud) and returns every resource
 * it declared with resolved inputs. Each call starts a fresh mock monitor.
 */
export async function collectStack(cfg: StackConfig, stackName = 'dev'): Promise<Collected> {
  const resources: DeclaredResource[] = [];
  await pulumi.runtime.setMocks(recordingMocks(resources), 'receiptflow', stackName, false);
  const outputs = createStack(cfg, stackName);
  const resolved = await new Promise<Record<string, unknown>>((resolve) => {
    const keys = Object.keys(outputs) as (keyof typeof outputs)[];
    pulumi.all(keys.map((k) => outputs[k])).apply((values) => {
      resolve(Object.fromEntries(keys.map((k, i) => [k, unwrapSecrets(values[i])])));
    });
  });
  // Outputs can resolve before resources that nothing depends on; wait for every registration.
  const runtime = pulumi.runtime as typeof pulumi.runtime & { waitForRPCs?: () => Promise<void> };
  await runtime.waitForRPCs?.();
  return { resources, outputs: resolved };
}

/**
 * Runs any program function under fresh recording mocks and returns what it declared: for
 * testing one module (e.g. `createNetwork` with options the default stack never uses).
 */
export async function collectProgram(program: () => void, stackName = 'dev'): Promise<DeclaredResource[]> {
  const resources: DeclaredResource[] = [];
  await pulumi.runtime.setMocks(recordingMocks(resources), 'receiptflow', stackName, false);
  program();
  const runtime = pulumi.runtime as typeof pulumi.runtime & { waitForRPCs?: () => Promise<void> };
  await runtime.waitForRPCs?.();
  return resources;
}

/** The resources of one type. */
export function ofType(resources: DeclaredResource[], type: string): DeclaredResource[] {
  return resources.filter((r) => r.type === type);
}
