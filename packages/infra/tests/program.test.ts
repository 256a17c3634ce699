import * as pulumi from '@pulumi/pulumi';
import {
  JOB_TABLE_ATTRIBUTE_DEFINITIONS,
  JOB_TABLE_GLOBAL_SECONDARY_INDEXES,
} from '@receiptflow/adapters-aws/dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeContext } from '../src/context.js';
import {
  collectProgram,
  collectStack,
  ofType,
  recordingMocks,
  type Collected,
  type DeclaredResource,
} from '../src/doctor/collect.js';
import { createNetwork } from '../src/network.js';
import { estimateCost } from '../src/cost/estimate.js';
import { API_ROUTES, routeArnPath } from '../src/api-routes.js';
import { FUNCTION_NAMES } from '../src/function-specs.js';
import { WILDCARD_ONLY_ACTIONS, type Statement } from '../src/iam-policies.js';
import { checkLimits, VISIBILITY_FACTOR } from '../src/plan.js';
import { serverConfig, testConfig } from './helpers.js';

// Runs of the program under mocks, one per vector storage mode: the defaults (efs), server with
// an external Chroma, server with self-hosted Chroma + a custom domain, and s3.
let base: Collected;
let server: Collected;
let fargate: Collected;
let s3: Collected;
beforeAll(async () => {
  base = await collectStack(testConfig());
  s3 = await collectStack(testConfig({ vectorStorageMode: 's3' }));
  server = await collectStack(serverConfig());
  fargate = await collectStack(
    serverConfig({
      chromaMode: 'fargate',
      chromaUrl: undefined,
      apiDomainName: 'api.example.com',
      apiHostedZoneId: 'Z0EXAMPLE',
    }),
  );
});

const named = (c: Collected, name: string): DeclaredResource => {
  const r = c.resources.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}`);
  return r;
};
const rulesOf = (c: Collected, sg: string, dir: 'Ingress' | 'Egress') =>
  ofType(c.resources, `aws:vpc/securityGroup${dir}Rule:SecurityGroup${dir}Rule`)
    .filter((r) => r.inputs.securityGroupId === sg)
    .map((r) => ({
      port: r.inputs.fromPort,
      to: r.inputs.toPort,
      proto: r.inputs.ipProtocol,
      cidr: r.inputs.cidrIpv4,
      sg: r.inputs.referencedSecurityGroupId,
    }));
const policyOf = (c: Collected, name: string): Statement[] => JSON.parse(named(c, name).inputs.policy).Statement;

describe('VPC and routing', () => {
  it('has public and private subnets in two AZs', () => {
    const subnets = ofType(base.resources, 'aws:ec2/subnet:Subnet').map((s) => [
      s.name,
      s.inputs.cidrBlock,
      s.inputs.availabilityZone,
    ]);
    expect(subnets).toEqual(
      expect.arrayContaining([
        ['public-0', '10.20.0.0/24', 'us-east-1a'],
        ['public-1', '10.20.1.0/24', 'us-east-1b'],
        ['private-0', '10.20.100.0/24', 'us-east-1a'],
        ['private-1', '10.20.101.0/24', 'us-east-1b'],
      ]),
    );
    expect(subnets).toHaveLength(4);
    expect(named(base, 'vpc').inputs).toMatchObject({ enableDnsSupport: true, enableDnsHostnames: true });
  });

  it('routes public traffic to the internet gateway and private traffic through the NAT instance', () => {
    const routes = ofType(base.resources, 'aws:ec2/route:Route').map((r) => r.inputs);
    expect(routes).toEqual(
      expect.arrayContaining([
        { routeTableId: 'public-rt', destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw' },
        { routeTableId: 'private-rt', destinationCidrBlock: '0.0.0.0/0', networkInterfaceId: 'nat-instance-eni' },
      ]),
    );
    const assoc = ofType(base.resources, 'aws:ec2/routeTableAssociation:RouteTableAssociation').map((a) => [
      a.inputs.subnetId,
      a.inputs.routeTableId,
    ]);
    expect(assoc.sort()).toEqual([
      ['private-0', 'private-rt'],
      ['private-1', 'private-rt'],
      ['public-0', 'public-rt'],
      ['public-1', 'public-rt'],
    ]);
  });

  it('runs a t4g.nano NAT instance with source/dest check off and a MASQUERADE in user data', () => {
    const nat = named(base, 'nat-instance').inputs;
    expect(nat).toMatchObject({
      instanceType: 't4g.nano',
      sourceDestCheck: false,
      associatePublicIpAddress: true,
      subnetId: 'public-0',
    });
    expect(nat.userData).toContain('net.ipv4.ip_forward=1');
    expect(nat.userData).toMatch(/iptables -t nat -A POSTROUTING -o "\$IFACE" -s 10\.20\.0\.0\/16 -j MASQUERADE/);
    expect(nat.ami).toBe('ami-0123456789abcdef0'); // from the arm64 AL2023 SSM parameter
  });

  it('puts S3 and DynamoDB gateway endpoints on both route tables', () => {
    const gw = ofType(base.resources, 'aws:ec2/vpcEndpoint:VpcEndpoint').filter(
      (e) => e.inputs.vpcEndpointType === 'Gateway',
    );
    expect(gw.map((e) => [e.inputs.serviceName, e.inputs.routeTableIds])).toEqual([
      ['com.amazonaws.us-east-1.s3', ['public-rt', 'private-rt']],
      ['com.amazonaws.us-east-1.dynamodb', ['public-rt', 'private-rt']],
    ]);
  });

  it('creates no interface endpoint and no endpoint security group: VPC functions reach SQS through the NAT, none calls Logs', () => {
    const ifaces = ofType(base.resources, 'aws:ec2/vpcEndpoint:VpcEndpoint').filter(
      (e) => e.inputs.vpcEndpointType === 'Interface',
    );
    expect(ifaces).toEqual([]);
    expect(base.resources.find((r) => r.name === 'endpoint-sg')).toBeUndefined();
    expect(
      ofType(fargate.resources, 'aws:ec2/vpcEndpoint:VpcEndpoint').filter(
        (e) => e.inputs.vpcEndpointType === 'Interface',
      ),
    ).toEqual([]);
  });

  it('creates an interface endpoint, with private DNS, in every Lambda subnet, for each service asked for', async () => {
    const declared = await collectProgram(() =>
      createNetwork(makeContext(testConfig(), 'dev'), { extraInternetPorts: [], interfaceServices: ['sqs'] }),
    );
    const ifaces = ofType(declared, 'aws:ec2/vpcEndpoint:VpcEndpoint').filter(
      (e) => e.inputs.vpcEndpointType === 'Interface',
    );
    expect(ifaces.map((e) => e.inputs.serviceName)).toEqual(['com.amazonaws.us-east-1.sqs']);
    expect(ifaces[0]!.inputs).toMatchObject({
      privateDnsEnabled: true,
      subnetIds: ['private-0', 'private-1'],
      securityGroupIds: ['endpoint-sg'],
    });
    // Only the Lambda security group reaches it, on 443 (never 0.0.0.0/0).
    const rules = ofType(declared, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule').filter(
      (r) => r.inputs.securityGroupId === 'endpoint-sg',
    );
    expect(rules.map((r) => [r.inputs.fromPort, r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4])).toEqual([
      [443, 'lambda-sg', undefined],
    ]);
  });

  it('gives the NAT instance an Elastic IP through a separate association, and exports it', () => {
    expect(named(base, 'nat-eip').inputs).toMatchObject({ domain: 'vpc' });
    expect(named(base, 'nat-eip-association').inputs).toEqual({
      allocationId: 'eipalloc-nat-eip',
      instanceId: 'nat-instance',
    });
    expect(base.outputs.natPublicIp).toBe('203.0.113.10');
  });

  it('gives the NAT 443 from the private subnets only, and the Lambdas 443 and NFS out', () => {
    expect(rulesOf(base, 'nat-sg', 'Ingress').map((r) => [r.port, r.cidr])).toEqual([
      [443, '10.20.100.0/24'],
      [443, '10.20.101.0/24'],
    ]);
    expect(rulesOf(base, 'nat-sg', 'Egress').map((r) => [r.port, r.cidr])).toEqual([[443, '0.0.0.0/0']]);
    expect(rulesOf(base, 'lambda-sg', 'Ingress')).toEqual([]);
    expect(
      rulesOf(base, 'lambda-sg', 'Egress')
        .map((r) => [r.port, r.cidr ?? r.sg])
        .sort(),
    ).toEqual([
      [2049, 'efs-sg'],
      [443, '0.0.0.0/0'],
    ]);
  });
});

describe('storage', () => {
  it('has an encrypted, elastic EFS with mount targets in the Lambda subnets and a /chroma access point', () => {
    expect(named(base, 'chroma-efs').inputs).toMatchObject({ encrypted: true, throughputMode: 'elastic' });
    expect(
      ofType(base.resources, 'aws:efs/mountTarget:MountTarget').map((m) => [
        m.inputs.subnetId,
        m.inputs.securityGroups,
      ]),
    ).toEqual([
      ['private-0', ['efs-sg']],
      ['private-1', ['efs-sg']],
    ]);
    expect(named(base, 'chroma-ap').inputs).toMatchObject({
      posixUser: { uid: 1000, gid: 1000 },
      rootDirectory: { path: '/chroma', creationInfo: { ownerUid: 1000, ownerGid: 1000 } },
    });
    expect(rulesOf(base, 'efs-sg', 'Ingress')).toEqual([
      { port: 2049, to: 2049, proto: 'tcp', cidr: undefined, sg: 'lambda-sg' },
    ]);
  });

  it('makes every bucket private, encrypted and TLS-only', () => {
    for (const key of ['raw', 'artifacts', 'vectors']) {
      expect(named(base, `${key}-bucket-pab`).inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(named(base, `${key}-bucket-sse`).inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe(
        'AES256',
      );
      const policy = JSON.parse(named(base, `${key}-bucket-policy`).inputs.policy);
      const arn = `arn:aws:s3:::${key}-bucket-0000000`;
      expect(policy.Statement).toEqual([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: [arn, `${arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]);
    }
  });

  it('expires old snapshots and merged deltas in the versioned vectors bucket', () => {
    expect(named(base, 'vectors-bucket-versioning').inputs.versioningConfiguration.status).toBe('Enabled');
    const rules = named(base, 'vectors-bucket-lifecycle').inputs.rules as Record<string, any>[];
    const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
    expect(byId['expire-old-snapshot-versions']).toMatchObject({
      filter: { prefix: 'snapshots/' },
      noncurrentVersionExpiration: { noncurrentDays: 30 },
    });
    expect(byId['expire-superseded-snapshots']).toMatchObject({
      filter: { and: { prefix: 'snapshots/', tags: { 'receiptflow-superseded': 'true' } } },
      expiration: { days: 30 },
    });
    expect(byId['expire-merged-deltas']).toMatchObject({ filter: { prefix: 'deltas/' }, expiration: { days: 30 } });
  });

  it('expires the exports (exports/ in the artifacts bucket) after a day, and nothing else there', () => {
    const rules = named(base, 'artifacts-bucket-lifecycle').inputs.rules as Record<string, any>[];
    expect(rules.map((r) => r.id)).toEqual(['abort-incomplete-uploads', 'expire-exports']);
    expect(rules[1]).toEqual({
      id: 'expire-exports',
      status: 'Enabled',
      filter: { prefix: 'exports/' },
      expiration: { days: 1 },
    });
    // The OCR JSON under ocr/ is kept: only the exports expire.
    expect(named(base, 'raw-bucket-lifecycle').inputs.rules.map((r: { id: string }) => r.id)).toEqual([
      'abort-incomplete-uploads',
    ]);
  });
});

describe('queues and table', () => {
  const queues = () => ofType(base.resources, 'aws:sqs/queue:Queue');

  it('has the three work queues, each redriving to its own DLQ, plus the stream DLQ', () => {
    const names = queues()
      .map((q) => q.inputs.name)
      .sort();
    expect(names).toEqual([
      'receiptflow-dev-compaction-queue',
      'receiptflow-dev-compaction-queue-dlq',
      'receiptflow-dev-ocr-queue',
      'receiptflow-dev-ocr-queue-dlq',
      'receiptflow-dev-ocr-results-queue',
      'receiptflow-dev-ocr-results-queue-dlq',
      'receiptflow-dev-stream-processor-dlq',
    ]);
    for (const base_ of ['ocr-queue', 'ocr-results-queue', 'compaction-queue']) {
      const redrive = JSON.parse(named(base, base_).inputs.redrivePolicy);
      expect(redrive.deadLetterTargetArn).toBe(`arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-${base_}-dlq`);
      const allow = JSON.parse(named(base, `${base_}-dlq-redrive-allow`).inputs.redriveAllowPolicy);
      expect(allow).toEqual({
        redrivePermission: 'byQueue',
        sourceQueueArns: [`arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-${base_}`],
      });
    }
  });

  it('gives every queue a TLS-only queue policy', () => {
    const policies = ofType(base.resources, 'aws:sqs/queuePolicy:QueuePolicy');
    expect(policies).toHaveLength(7);
    for (const p of policies) {
      const [s] = JSON.parse(p.inputs.policy).Statement;
      expect(s).toMatchObject({
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      expect(p.inputs.queueUrl).toContain(s.Resource.split(':').pop());
    }
  });

  // docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached, docs/lessons.md#lesson-17-timeouts-that-did-not-fit
  it('retention / visibility > maxReceiveCount ≥ 5, visibility ≥ 6 × timeout, reserved ≥ max concurrency', () => {
    const mappings = ofType(base.resources, 'aws:lambda/eventSourceMapping:EventSourceMapping').filter(
      (m) => m.inputs.scalingConfig,
    );
    const fnByArn = new Map(ofType(base.resources, 'aws:lambda/function:Function').map((f) => [f.state.arn, f]));
    const consumerTimeout = (queueArn: string) => {
      const m = mappings.find((x) => x.inputs.eventSourceArn === queueArn);
      return m ? Number(fnByArn.get(m.inputs.functionName)!.inputs.timeout) : 120; // ocr-queue: the worker's default
    };
    const limits = {
      queues: ['ocr-queue', 'ocr-results-queue', 'compaction-queue'].map((n) => {
        const q = named(base, n);
        return {
          name: n,
          visibilityTimeoutSeconds: q.inputs.visibilityTimeoutSeconds,
          messageRetentionSeconds: q.inputs.messageRetentionSeconds,
          maxReceiveCount: JSON.parse(q.inputs.redrivePolicy).maxReceiveCount,
          consumerTimeoutSeconds: consumerTimeout(q.state.arn),
        };
      }),
      mappings: mappings.map((m) => ({
        functionName: fnByArn.get(m.inputs.functionName)!.name,
        maxConcurrency: m.inputs.scalingConfig.maximumConcurrency,
        reservedConcurrency: fnByArn.get(m.inputs.functionName)!.inputs.reservedConcurrentExecutions,
      })),
    };
    expect(checkLimits(limits)).toEqual([]);
    for (const q of limits.queues) {
      expect(q.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(q.messageRetentionSeconds / q.visibilityTimeoutSeconds).toBeGreaterThan(q.maxReceiveCount);
      expect(q.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(VISIBILITY_FACTOR * q.consumerTimeoutSeconds);
    }
    expect(limits.mappings.map((m) => [m.functionName, m.maxConcurrency, m.reservedConcurrency]).sort()).toEqual([
      ['compaction', 2, 2],
      ['process-ocr-results', 5, 5],
    ]);
    // The DLQs keep messages longer than the sources, since a message's age carries over.
    expect(named(base, 'ocr-results-queue-dlq').inputs.messageRetentionSeconds).toBeGreaterThan(
      named(base, 'ocr-results-queue').inputs.messageRetentionSeconds,
    );
  });

  it('has one table with PK/SK, GSI1 to GSI5, a NEW_AND_OLD_IMAGES stream, TTL and PITR', () => {
    const t = named(base, 'jobs-table').inputs;
    expect(t).toMatchObject({
      hashKey: 'PK',
      rangeKey: 'SK',
      billingMode: 'PAY_PER_REQUEST',
      streamEnabled: true,
      streamViewType: 'NEW_AND_OLD_IMAGES',
      ttl: { attributeName: 'ttl', enabled: true },
      pointInTimeRecovery: { enabled: true },
    });
    expect(t.globalSecondaryIndexes.map((g: any) => [g.name, g.keySchemas.map((k: any) => k.attributeName)])).toEqual([
      ['GSI1', ['GSI1PK', 'GSI1SK']],
      ['GSI2', ['GSI2PK', 'GSI2SK']],
      ['GSI3', ['GSI3PK', 'GSI3SK']],
      ['GSI4', ['GSI4PK', 'GSI4SK']],
      ['GSI5', ['GSI5PK', 'GSI5SK']],
    ]);
  });

  it('mirrors the job table the adapters are tested against: indexes, keys and projections', () => {
    const t = named(base, 'jobs-table').inputs;
    const deployed = t.globalSecondaryIndexes.map((g: any) => ({
      IndexName: g.name,
      KeySchema: g.keySchemas.map((k: any) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
      Projection: {
        ProjectionType: g.projectionType,
        ...(g.nonKeyAttributes ? { NonKeyAttributes: g.nonKeyAttributes } : {}),
      },
    }));
    expect(deployed).toEqual(JOB_TABLE_GLOBAL_SECONDARY_INDEXES);
    expect(t.attributes.map((a: any) => a.name).sort()).toEqual(
      JOB_TABLE_ATTRIBUTE_DEFINITIONS.map((a) => a.AttributeName).sort(),
    );
  });
});

describe('compute and API', () => {
  it('deploys one nodejs22.x function per bundle; only those that reach the vector index in the VPC', () => {
    const fns = Object.fromEntries(
      ofType(base.resources, 'aws:lambda/function:Function').map((f) => [f.name, f.inputs]),
    );
    expect(Object.keys(fns).sort()).toEqual([...FUNCTION_NAMES].sort());
    // The similar route queries the vector index: in the VPC, mounting it read-only in efs mode.
    expect(fns['receipts-read']!.vpcConfig).toEqual(fns['process-ocr-results']!.vpcConfig);
    expect(fns['receipts-read']!.fileSystemConfig).toEqual(fns.compaction!.fileSystemConfig);
    expect(fns.sweep!.vpcConfig).toBeUndefined();
    expect(fns.authorizer!.vpcConfig).toBeUndefined();
    // The export reaches DynamoDB and S3 only: outside the VPC, told where to write its exports.
    expect(fns['receipts-export']!.vpcConfig).toBeUndefined();
    expect(fns['receipts-export']!).toMatchObject({ timeout: 29, memorySize: 512 });
    expect(fns['receipts-export']!.environment.variables.EXPORT_BUCKET).toBe(
      fns.upload!.environment.variables.ARTIFACTS_BUCKET,
    );
    expect(fns.upload!.environment.variables.EXPORT_BUCKET).toBeUndefined();
    for (const f of Object.values(fns)) expect(f).toMatchObject({ runtime: 'nodejs22.x', handler: 'index.handler' });
    expect(fns.upload!.vpcConfig).toBeUndefined();
    expect(fns['stream-processor']!.vpcConfig).toBeUndefined();
    expect(fns['process-ocr-results']!.vpcConfig).toEqual({
      subnetIds: ['private-0', 'private-1'],
      securityGroupIds: ['lambda-sg'],
    });
    // efs mode: compaction (the writer) and the results step (read-only followers) mount the index.
    expect(fns.compaction!.fileSystemConfig).toEqual({
      arn: expect.stringContaining('access-point/chroma-ap'),
      localMountPath: '/mnt/vectors',
    });
    expect(fns['process-ocr-results']!.fileSystemConfig).toEqual(fns.compaction!.fileSystemConfig);
    for (const fn of ['upload', 'authorizer', 'stream-processor', 'sweep'])
      expect(fns[fn]!.fileSystemConfig).toBeUndefined();
  });

  it('per mode: EFS, its mount targets and access point only in efs mode (or for a Fargate Chroma); no Lambda mounts it in server mode', () => {
    const efsTypes = [
      'aws:efs/fileSystem:FileSystem',
      'aws:efs/mountTarget:MountTarget',
      'aws:efs/accessPoint:AccessPoint',
    ];
    const count = (c: Collected) => efsTypes.map((t) => ofType(c.resources, t).length);
    expect(count(base)).toEqual([1, 2, 1]);
    expect(count(server)).toEqual([0, 0, 0]);
    expect(count(fargate)).toEqual([1, 2, 1]);
    for (const c of [server, fargate]) {
      for (const f of ofType(c.resources, 'aws:lambda/function:Function'))
        expect(f.inputs.fileSystemConfig, f.name).toBeUndefined();
    }
    // No NFS rule either when nothing mounts EFS.
    expect(rulesOf(server, 'lambda-sg', 'Egress').map((r) => r.port)).not.toContain(2049);
  });

  it('sets the deployment contract env vars, and each secret only where it is used', () => {
    const env = (n: string) => named(base, n).inputs.environment.variables as Record<string, string>;
    const contract = [
      'TABLE_NAME',
      'RAW_BUCKET',
      'ARTIFACTS_BUCKET',
      'VECTORS_BUCKET',
      'OCR_JOB_QUEUE_URL',
      'OCR_RESULTS_QUEUE_URL',
      'COMPACTION_QUEUE_URL',
      'VECTOR_STORAGE_MODE',
      'EMBEDDING_MODEL',
      'EMBEDDING_DIMENSIONS',
      'LOG_LEVEL',
    ];
    for (const fn of ['upload', 'process-ocr-results', 'stream-processor', 'compaction', 'sweep'])
      expect(Object.keys(env(fn))).toEqual(expect.arrayContaining(contract));
    expect(env('sweep').OPENAI_API_KEY).toBeUndefined();
    expect(env('process-ocr-results')).toMatchObject({
      OPENAI_API_KEY: 'sk-test',
      GOOGLE_PLACES_API_KEY: 'places-test',
      EMBEDDING_DIMENSIONS: '512',
      TABLE_NAME: 'receiptflow-dev-jobs',
    });
    expect(env('upload').API_KEY_SHA256).toBe('a'.repeat(64));
    expect(env('upload').OPENAI_API_KEY).toBeUndefined();
    expect(env('compaction').OPENAI_API_KEY).toBeUndefined();
    // The storage mode's variables, as the handlers' config validates them at cold start.
    for (const fn of ['process-ocr-results', 'compaction']) {
      expect(env(fn)).toMatchObject({ VECTOR_STORAGE_MODE: 'efs', VECTOR_INDEX_DIR: '/mnt/vectors/index' });
      expect(env(fn).CHROMA_URL).toBeUndefined();
      const serverEnv = named(server, fn).inputs.environment.variables as Record<string, string>;
      expect(serverEnv).toMatchObject({ VECTOR_STORAGE_MODE: 'server', CHROMA_URL: 'https://chroma.internal.test' });
      expect(serverEnv.VECTOR_INDEX_DIR).toBeUndefined();
    }
  });

  it('maps the queues and the filtered stream with ReportBatchItemFailures', () => {
    const m = Object.fromEntries(
      ofType(base.resources, 'aws:lambda/eventSourceMapping:EventSourceMapping').map((x) => [x.name, x.inputs]),
    );
    expect(m['process-ocr-results-sqs-mapping']).toMatchObject({
      eventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-ocr-results-queue',
      functionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(m['compaction-sqs-mapping']).toMatchObject({
      eventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-compaction-queue',
      functionResponseTypes: ['ReportBatchItemFailures'],
    });
    const stream = m['stream-processor-stream-mapping']!;
    expect(stream).toMatchObject({
      eventSourceArn: expect.stringContaining('table/receiptflow-dev-jobs/stream/'),
      functionResponseTypes: ['ReportBatchItemFailures'],
      bisectBatchOnFunctionError: true,
      destinationConfig: {
        onFailure: { destinationArn: 'arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-stream-processor-dlq' },
      },
    });
    const patterns = stream.filterCriteria.filters.map((f: { pattern: string }) => JSON.parse(f.pattern));
    expect(patterns).toEqual([
      { dynamodb: { NewImage: { entity: { S: ['COMPACTION_RUN', 'RECEIPT_PLACE', 'RECEIPT'] } } } },
      { dynamodb: { OldImage: { entity: { S: ['COMPACTION_RUN', 'RECEIPT_PLACE', 'RECEIPT'] } } } },
    ]);
  });

  it('gives each function its own role, with `*` only for actions that cannot be scoped', () => {
    const roles = ofType(base.resources, 'aws:iam/role:Role')
      .map((r) => r.inputs.name)
      .sort();
    expect(roles).toEqual(FUNCTION_NAMES.map((fn) => `receiptflow-dev-${fn}`).sort());
    // The authorizer may write its own logs and nothing else.
    expect(policyOf(base, 'authorizer-policy').map((st) => st.Sid)).toEqual(['WriteOwnLogs']);
    for (const fn of FUNCTION_NAMES) {
      expect(named(base, fn).inputs.role).toBe(`arn:aws:iam::123456789012:role/receiptflow-dev-${fn}`);
      for (const s of policyOf(base, `${fn}-policy`)) {
        const resources = ([] as string[]).concat(s.Resource);
        if (resources.includes('*')) {
          for (const a of s.Action) expect(WILDCARD_ONLY_ACTIONS.has(a), `${fn}: ${a} on *`).toBe(true);
        }
        for (const a of s.Action) expect(a.endsWith(':*'), `${fn}: ${a}`).toBe(false);
      }
    }
    const actionsOn = (fn: string, arnPart: string) =>
      policyOf(base, `${fn}-policy`)
        .filter((s) => ([] as string[]).concat(s.Resource).some((r) => r.includes(arnPart)))
        .flatMap((s) => s.Action);
    expect(actionsOn('upload', 'raw-bucket-0000000/raw/*')).toEqual([
      's3:PutObject',
      's3:GetObject',
      's3:DeleteObject',
    ]);
    const list = policyOf(base, 'upload-policy').find((s) => s.Action.includes('s3:ListBucket'))!;
    expect(list).toMatchObject({
      Resource: 'arn:aws:s3:::raw-bucket-0000000',
      Condition: { StringLike: { 's3:prefix': ['raw/*'] } },
    });
    expect(actionsOn('upload', 'receiptflow-dev-ocr-queue')).toEqual(['sqs:SendMessage']);
    expect(actionsOn('upload', 'vectors-bucket')).toEqual([]);
    expect(actionsOn('stream-processor', 'stream-processor-dlq')).toEqual(['sqs:SendMessage']);
    expect(actionsOn('compaction', 'file-system/chroma-efs')).toEqual([
      'elasticfilesystem:ClientMount',
      'elasticfilesystem:ClientWrite',
    ]);
    // The results step and the similar route follow the index read-only: they may mount, never write.
    expect(actionsOn('process-ocr-results', 'file-system/chroma-efs')).toEqual(['elasticfilesystem:ClientMount']);
    expect(actionsOn('receipts-read', 'file-system/chroma-efs')).toEqual(['elasticfilesystem:ClientMount']);
    // The read API reads the table by key (no index, no write); image URLs are signed for GET.
    // The read API reads: the table by key and the catalog's three GSIs, nothing else; image URLs are signed for GET.
    expect(actionsOn('receipts-read', 'table/receiptflow-dev-jobs')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Query',
    ]);
    expect(policyOf(base, 'receipts-read-policy').find((st) => st.Sid === 'ListReceipts')!.Resource).toEqual(
      ['GSI3', 'GSI4', 'GSI5'].map(
        (i) => `arn:aws:dynamodb:us-east-1:123456789012:table/receiptflow-dev-jobs/index/${i}`,
      ),
    );
    // The change API writes single rows and batches of them on the table, queries GSI2 (places'
    // receipts) and GSI5 (the owner's merchants, GET /places) only, and deletes an image's bytes
    // and OCR JSON; it reaches no queue and no vector.
    expect(actionsOn('receipts-change', 'table/receiptflow-dev-jobs/index/')).toEqual([
      'dynamodb:Query',
      'dynamodb:Query',
    ]);
    expect(
      policyOf(base, 'receipts-change-policy')
        .flatMap((st) => ([] as string[]).concat(st.Resource))
        .filter((r) => r.includes('/index/'))
        .map((r) => r.split('/index/')[1]),
    ).toEqual(['GSI2', 'GSI5']);
    expect(actionsOn('receipts-change', 'raw-bucket-0000000/raw/*')).toEqual(['s3:GetObject', 's3:DeleteObject']);
    expect(actionsOn('receipts-change', 'artifacts-bucket-0000000/ocr/*')).toEqual(['s3:DeleteObject']);
    expect(actionsOn('receipts-change', 'vectors-bucket')).toEqual([]);
    expect(actionsOn('receipts-change', 'queue')).toEqual([]);
    expect(actionsOn('receipts-read', 'raw-bucket-0000000/raw/*')).toEqual(['s3:GetObject']);
    expect(actionsOn('receipts-read', 'queue')).toEqual([]);
    // The export API queries the owner's and a merchant's listing (GSI3, GSI4) and nothing else of
    // the table; it writes, signs and aborts under exports/ of the artifacts bucket only.
    const exportPolicy = policyOf(base, 'receipts-export-policy');
    expect(exportPolicy.map((st) => st.Sid)).toEqual([
      'WriteOwnLogs',
      'ListReceipts',
      'WriteExports',
      'AbortExportUploads',
    ]);
    expect(actionsOn('receipts-export', 'table/receiptflow-dev-jobs')).toEqual(['dynamodb:Query']);
    expect(exportPolicy.find((st) => st.Sid === 'ListReceipts')!.Resource).toEqual(
      ['GSI3', 'GSI4'].map((i) => `arn:aws:dynamodb:us-east-1:123456789012:table/receiptflow-dev-jobs/index/${i}`),
    );
    expect(actionsOn('receipts-export', 'artifacts-bucket-0000000/exports/*')).toEqual([
      's3:PutObject',
      's3:GetObject',
      's3:AbortMultipartUpload',
    ]);
    expect(actionsOn('receipts-export', 'artifacts-bucket-0000000/ocr/')).toEqual([]);
    expect(actionsOn('receipts-export', 'raw-bucket')).toEqual([]);
    expect(actionsOn('receipts-export', 'vectors-bucket')).toEqual([]);
    expect(actionsOn('receipts-export', 'queue')).toEqual([]);
    // Only VPC functions may manage ENIs.
    expect(actionsOn('upload', '*')).not.toContain('ec2:CreateNetworkInterface');
    expect(policyOf(base, 'upload-policy').some((s) => s.Resource === '*')).toBe(false);
  });

  it('runs the sweep every 5 minutes from an EventBridge rule, with a read-only table role that can only re-send', () => {
    const rule = named(base, 'sweep-schedule').inputs;
    expect(rule).toMatchObject({ name: 'receiptflow-dev-sweep', scheduleExpression: 'rate(5 minutes)' });
    expect(named(base, 'sweep-schedule-target').inputs).toMatchObject({
      rule: 'receiptflow-dev-sweep',
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:receiptflow-dev-sweep',
    });
    // Only this rule may invoke the sweep, and only the sweep.
    expect(named(base, 'sweep-schedule-permission').inputs).toMatchObject({
      action: 'lambda:InvokeFunction',
      function: 'receiptflow-dev-sweep',
      principal: 'events.amazonaws.com',
      sourceArn: 'arn:aws:events:us-east-1:123456789012:rule/receiptflow-dev-sweep',
    });
    // The next tick is the retry; async retries would only overlap it.
    expect(named(base, 'sweep-invoke-config').inputs).toMatchObject({
      functionName: 'receiptflow-dev-sweep',
      maximumRetryAttempts: 0,
    });
    expect(named(base, 'sweep').inputs).toMatchObject({ reservedConcurrentExecutions: 1, timeout: 120 });
    expect(ofType(base.resources, 'aws:cloudwatch/eventRule:EventRule')).toHaveLength(1);

    const statements = policyOf(base, 'sweep-policy');
    const actions = statements.flatMap((s) => s.Action);
    for (const write of [
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
    ]) {
      expect(actions, write).not.toContain(write);
    }
    expect(actions.some((a) => a.startsWith('s3:'))).toBe(false);
    const sendsTo = statements
      .filter((s) => s.Action.includes('sqs:SendMessage'))
      .flatMap((s) => ([] as string[]).concat(s.Resource))
      .sort();
    expect(sendsTo).toEqual([
      'arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-compaction-queue',
      'arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-ocr-queue',
      'arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-ocr-results-queue',
    ]);
    expect(statements.find((s) => s.Sid === 'ReadJobTable')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:Query'],
      Resource: [
        'arn:aws:dynamodb:us-east-1:123456789012:table/receiptflow-dev-jobs',
        'arn:aws:dynamodb:us-east-1:123456789012:table/receiptflow-dev-jobs/index/*',
      ],
    });
  });

  it('sends each route to its own function, which this API may invoke on its own routes only', () => {
    const routes = ofType(base.resources, 'aws:apigatewayv2/route:Route');
    expect(routes.map((r) => r.inputs.routeKey).sort()).toEqual(Object.keys(API_ROUTES).sort());
    const integrations = ofType(base.resources, 'aws:apigatewayv2/integration:Integration');
    // One integration per API function, none for the others.
    expect(integrations.map((i) => i.name).sort()).toEqual([
      'pipeline-integration',
      'receipts-change-integration',
      'receipts-export-integration',
      'receipts-read-integration',
      'upload-integration',
    ]);
    for (const i of integrations)
      expect(i.inputs).toMatchObject({ integrationType: 'AWS_PROXY', payloadFormatVersion: '2.0' });
    const permissions = ofType(base.resources, 'aws:lambda/permission:Permission').filter(
      (p) => p.inputs.principal === 'apigateway.amazonaws.com' && p.name !== 'authorizer-invoke-from-api',
    );
    for (const route of routes) {
      const fn = API_ROUTES[route.inputs.routeKey as keyof typeof API_ROUTES];
      const integration = integrations.find((i) => route.inputs.target === `integrations/${i.name}`);
      expect(integration?.inputs.integrationUri, route.inputs.routeKey).toContain(`function:receiptflow-dev-${fn}/`);
      // The function's permissions name this route among theirs, and only routes it serves.
      const own = permissions
        .filter((p) => p.inputs.function === `receiptflow-dev-${fn}`)
        .map((p) => p.inputs.sourceArn);
      expect(own).toContain(
        `arn:aws:execute-api:us-east-1:123456789012:http-api/*/${routeArnPath(route.inputs.routeKey)}`,
      );
    }
    // No permission lets the API invoke a function on any route (`/*/*`), nor one that serves no route.
    expect(permissions.map((p) => p.inputs.sourceArn)).not.toContain(
      'arn:aws:execute-api:us-east-1:123456789012:http-api/*/*',
    );
    expect(permissions).toHaveLength(routes.length);
    expect(routeArnPath('GET /receipts/{image_id}/{receipt_id}/similar')).toBe('GET/receipts/*/*/similar');
    expect(base.resources.some((r) => r.type === 'aws:apigatewayv2/domainName:DomainName')).toBe(false);
    expect(base.outputs.apiUrl).toBe('https://http-api.execute-api.us-east-1.amazonaws.com');
  });

  it('adds a custom domain with a DNS-validated certificate when configured', () => {
    expect(named(fargate, 'api-cert').inputs).toMatchObject({ domainName: 'api.example.com', validationMethod: 'DNS' });
    expect(named(fargate, 'api-domain').inputs.domainNameConfiguration).toMatchObject({
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/api-cert',
      endpointType: 'REGIONAL',
    });
    expect(named(fargate, 'api-alias').inputs).toMatchObject({
      zoneId: 'Z0EXAMPLE',
      name: 'api.example.com',
      type: 'A',
    });
    expect(fargate.outputs.apiUrl).toBe('https://api.example.com');
  });
});

describe('alarms and Chroma', () => {
  it('alarms on every DLQ depth and on the oldest message age of each work queue', () => {
    const alarms = ofType(base.resources, 'aws:cloudwatch/metricAlarm:MetricAlarm')
      .filter((a) => a.inputs.namespace === 'AWS/SQS')
      .map((a) => [a.inputs.dimensions.QueueName, a.inputs.metricName, a.inputs.threshold]);
    expect(alarms.sort()).toEqual(
      [
        ['receiptflow-dev-compaction-queue', 'ApproximateAgeOfOldestMessage', 3600],
        ['receiptflow-dev-compaction-queue-dlq', 'ApproximateNumberOfMessagesVisible', 0],
        ['receiptflow-dev-ocr-queue', 'ApproximateAgeOfOldestMessage', 3600],
        ['receiptflow-dev-ocr-queue-dlq', 'ApproximateNumberOfMessagesVisible', 0],
        ['receiptflow-dev-ocr-results-queue', 'ApproximateAgeOfOldestMessage', 3600],
        ['receiptflow-dev-ocr-results-queue-dlq', 'ApproximateNumberOfMessagesVisible', 0],
        ['receiptflow-dev-stream-processor-dlq', 'ApproximateNumberOfMessagesVisible', 0],
      ].sort(),
    );
  });

  it('server mode uses the configured Chroma URL, or self-hosts Chroma on Fargate with the EFS volume; efs mode has none', () => {
    expect(base.outputs.chromaUrl).toBeUndefined();
    expect(base.outputs.vectorStorageMode).toBe('efs');
    expect(server.outputs.chromaUrl).toBe('https://chroma.internal.test');
    for (const c of [base, server]) expect(c.resources.some((r) => r.type === 'aws:ecs/service:Service')).toBe(false);

    expect(fargate.outputs.chromaUrl).toBe('http://chroma.receiptflow-dev.internal:8000');
    expect(named(fargate, 'compaction').inputs.environment.variables.CHROMA_URL).toBe(
      'http://chroma.receiptflow-dev.internal:8000',
    );
    const task = named(fargate, 'chroma-task').inputs;
    expect(task.volumes[0].efsVolumeConfiguration).toMatchObject({
      fileSystemId: 'chroma-efs',
      transitEncryption: 'ENABLED',
      authorizationConfig: { accessPointId: 'chroma-ap', iam: 'ENABLED' },
    });
    expect(JSON.parse(task.containerDefinitions)[0].mountPoints).toEqual([
      { sourceVolume: 'chroma-data', containerPath: '/data' },
    ]);
    // The container is health-checked on Chroma's heartbeat (bash only: the image has no curl),
    // and Cloud Map takes that status, so an unhealthy task leaves the DNS answer.
    const container = JSON.parse(task.containerDefinitions)[0];
    expect(container.healthCheck).toMatchObject({ interval: 30, timeout: 5, retries: 3, startPeriod: 120 });
    expect(container.healthCheck.command.slice(0, 3)).toEqual(['CMD', '/bin/bash', '-c']);
    expect(container.healthCheck.command[3]).toContain('/dev/tcp/127.0.0.1/8000');
    expect(container.healthCheck.command[3]).toContain('GET /api/v2/heartbeat');
    expect(named(fargate, 'chroma-discovery').inputs.healthCheckCustomConfig).toEqual({ failureThreshold: 1 });
    expect(named(fargate, 'chroma-service').inputs.networkConfiguration).toEqual({
      subnets: ['private-0', 'private-1'],
      securityGroups: ['chroma-sg'],
      assignPublicIp: false,
    });
    expect(rulesOf(fargate, 'chroma-sg', 'Ingress')).toEqual([
      { port: 8000, to: 8000, proto: 'tcp', cidr: undefined, sg: 'lambda-sg' },
    ]);
    // The file system holds Chroma's data only: no Lambda mounts it in server mode.
    expect(
      rulesOf(fargate, 'efs-sg', 'Ingress')
        .map((r) => r.sg)
        .sort(),
    ).toEqual(['chroma-sg']);
  });
});

describe('cost of the declared stack', () => {
  it('prices the default stack and the Fargate option from the declared resources', () => {
    const e = estimateCost(base.resources, { efsStorageGb: 1 });
    expect(e.fixed.map((l) => [l.item, Number(l.usd.toFixed(2))])).toEqual([
      ['NAT instance t4g.nano', 3.07],
      ['NAT root volume (gp3)', 0.64],
      ['Elastic IP (NAT egress)', 3.65],
      ['S3 + DynamoDB gateway endpoints', 0],
      ['EFS storage (elastic throughput: no fixed throughput charge)', 0.3],
      // 7 on queues, Lambda Errors for 10 functions, EMF Failures for the 8 handlers that write it,
      // and compaction's RunsAbandoned.
      ['CloudWatch alarms', 2.6],
    ]);
    // Issue 17: $37.56 before (SQS and Logs interface endpoints, 2 AZ each, $29.20), $8.36 after;
    // issue 12's 10 more alarms (Errors per function, Failures per handler) add $1.00, and
    // issue 20's RunsAbandoned alarm $0.10; issue 15's receipts-read, receipts-change and
    // receipts-export (Errors and Failures each) $0.60; issue 16's pipeline (operators) $0.20.
    expect(e.fixedMonthlyUsd).toBeCloseTo(10.26, 2);
    expect(e.fixedMonthlyUsd).toBeLessThan(37.56);
    expect(e.unpriced).toEqual([]);
    const f = estimateCost(fargate.resources, { efsStorageGb: 1 });
    expect(f.fixedMonthlyUsd - e.fixedMonthlyUsd).toBeCloseTo(14.42, 2);
    // server with an external Chroma: no EFS here (the Chroma server's own cost is outside the model).
    const s = estimateCost(server.resources, { efsStorageGb: 1 });
    expect(e.fixedMonthlyUsd - s.fixedMonthlyUsd).toBeCloseTo(0.3, 2);
    expect(s.fixed.map((l) => l.item)).not.toContain('EFS storage (elastic throughput: no fixed throughput charge)');
  });
});

describe('server-mode snapshot files (issue 17, item 2)', () => {
  it('only server-mode compaction may write, read back, list and delete under snapshots/ in the vectors bucket', () => {
    const statement = (stack: typeof server, fn: string, sid: string) =>
      policyOf(stack, `${fn}-policy`).find((st) => st.Sid === sid);
    for (const stack of [server, fargate]) {
      expect(statement(stack, 'compaction', 'WriteVectorSnapshots')).toMatchObject({
        Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        Resource: 'arn:aws:s3:::vectors-bucket-0000000/snapshots/*',
      });
      expect(statement(stack, 'compaction', 'AbortVectorSnapshotUploads')).toMatchObject({
        Action: ['s3:AbortMultipartUpload'],
        Resource: 'arn:aws:s3:::vectors-bucket-0000000/snapshots/*',
      });
      expect(statement(stack, 'compaction', 'ListVectorSnapshots')).toMatchObject({
        Action: ['s3:ListBucket'],
        Condition: { StringLike: { 's3:prefix': ['snapshots/*'] } },
      });
      for (const fn of ['upload', 'process-ocr-results', 'stream-processor', 'sweep', 'authorizer'])
        expect(JSON.stringify(policyOf(stack, `${fn}-policy`)), fn).not.toContain('/snapshots/');
    }
    // efs and s3 keep their snapshots in the index files: nothing under snapshots/.
    for (const stack of [base, s3])
      expect(JSON.stringify(policyOf(stack, 'compaction-policy'))).not.toContain('snapshots/');
  });

  it('the lifecycle rules that act on snapshots/ exist in every mode (server mode writes and deletes real files there)', () => {
    const rules = named(server, 'vectors-bucket-lifecycle').inputs.rules as Record<string, any>[];
    expect(rules.find((r) => r.id === 'expire-old-snapshot-versions')).toMatchObject({
      filter: { prefix: 'snapshots/' },
    });
  });
});

describe('s3 vector storage mode', () => {
  const env = (n: string) => named(s3, n).inputs.environment.variables as Record<string, string>;

  it('creates no EFS, mounts nothing and opens no NFS; the two functions get the bucket and prefix', () => {
    for (const t of [
      'aws:efs/fileSystem:FileSystem',
      'aws:efs/mountTarget:MountTarget',
      'aws:efs/accessPoint:AccessPoint',
    ])
      expect(ofType(s3.resources, t), t).toEqual([]);
    for (const f of ofType(s3.resources, 'aws:lambda/function:Function'))
      expect(f.inputs.fileSystemConfig, f.name).toBeUndefined();
    expect(rulesOf(s3, 'lambda-sg', 'Egress').map((r) => r.port)).not.toContain(2049);
    for (const fn of ['process-ocr-results', 'compaction']) {
      expect(env(fn)).toMatchObject({
        VECTOR_STORAGE_MODE: 's3',
        VECTOR_BUCKET: env(fn).VECTORS_BUCKET,
        VECTOR_PREFIX: 'index',
      });
      expect(env(fn).VECTOR_INDEX_DIR).toBeUndefined();
      expect(env(fn).CHROMA_URL).toBeUndefined();
    }
    expect(s3.outputs.vectorStorageMode).toBe('s3');
  });

  it('grants the index prefix only: compaction reads, writes and deletes it, the results step only reads it', () => {
    const statement = (fn: string, sid: string) => policyOf(s3, `${fn}-policy`).find((s) => s.Sid === sid);
    expect(statement('compaction', 'WriteVectorIndex')).toMatchObject({
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: 'arn:aws:s3:::vectors-bucket-0000000/index/*',
    });
    expect(statement('process-ocr-results', 'ReadVectorIndex')).toMatchObject({
      Action: ['s3:GetObject'],
      Resource: 'arn:aws:s3:::vectors-bucket-0000000/index/*',
    });
    expect(statement('process-ocr-results', 'WriteVectorIndex')).toBeUndefined();
    // The similar route follows the index as the results step does: read only.
    expect(statement('receipts-read', 'ReadVectorIndex')).toEqual(statement('process-ocr-results', 'ReadVectorIndex'));
    expect(statement('receipts-read', 'WriteVectorIndex')).toBeUndefined();
    for (const fn of ['compaction', 'process-ocr-results', 'receipts-read'])
      expect(statement(fn, 'ListVectorIndex')).toMatchObject({
        Action: ['s3:ListBucket'],
        Resource: 'arn:aws:s3:::vectors-bucket-0000000',
        Condition: { StringLike: { 's3:prefix': ['index/*'] } },
      });
    // No other function, and no other mode, touches the index prefix.
    for (const fn of ['upload', 'stream-processor', 'sweep', 'authorizer'])
      expect(JSON.stringify(policyOf(s3, `${fn}-policy`)), fn).not.toContain('vectors-bucket-0000000/index');
    expect(JSON.stringify(policyOf(base, 'compaction-policy'))).not.toContain('VectorIndex');
  });

  it('expires the index objects it replaces or deletes in the versioned bucket after a day', () => {
    const rules = named(s3, 'vectors-bucket-lifecycle').inputs.rules as Record<string, any>[];
    expect(rules.find((r) => r.id === 'expire-replaced-index-objects')).toMatchObject({
      status: 'Enabled',
      filter: { prefix: 'index/' },
      noncurrentVersionExpiration: { noncurrentDays: 1 },
    });
    const efsRules = named(base, 'vectors-bucket-lifecycle').inputs.rules as Record<string, any>[];
    expect(efsRules.map((r) => r.id)).not.toContain('expire-replaced-index-objects');
  });

  it('costs the efs stack less its EFS storage: $9.96 a month fixed', () => {
    const e = estimateCost(base.resources, { efsStorageGb: 1 });
    const c = estimateCost(s3.resources, { efsStorageGb: 1 });
    expect(e.fixedMonthlyUsd - c.fixedMonthlyUsd).toBeCloseTo(0.3, 2);
    expect(c.fixedMonthlyUsd).toBeCloseTo(9.96, 2);
    expect(c.fixed.map((l) => l.item)).not.toContain('EFS storage (elastic throughput: no fixed throughput charge)');
    expect(c.unpriced).toEqual([]);
  });

  it("prices the index files' S3 requests per receipt in s3 mode, and EFS throughput only in efs mode", () => {
    const items = (r: DeclaredResource[]) => estimateCost(r, { efsStorageGb: 1 }).perReceipt.map((l) => l.item);
    expect(items(s3.resources)).toContain('S3 requests on the vector index (s3 mode)');
    expect(items(s3.resources)).not.toContain('EFS elastic throughput');
    expect(items(base.resources)).not.toContain('S3 requests on the vector index (s3 mode)');
    expect(items(base.resources)).toContain('EFS elastic throughput');
  });
});

describe('entry point', () => {
  it('index.ts reads the stack config from Pulumi, validates it, and exports the outputs', async () => {
    const declared: DeclaredResource[] = [];
    await pulumi.runtime.setMocks(recordingMocks(declared), 'receiptflow', 'staging', false);
    const secrets = ['receiptflow:openaiApiKey', 'receiptflow:googlePlacesApiKey', 'receiptflow:apiKeySha256'];
    pulumi.runtime.setAllConfig(
      {
        'aws:region': 'us-east-1',
        'receiptflow:placeholderCode': 'true',
        'receiptflow:natInstanceType': 't4g.micro',
        'receiptflow:openaiApiKey': 'sk-live',
        'receiptflow:googlePlacesApiKey': 'places-live',
        'receiptflow:apiKeySha256': 'c'.repeat(64),
      },
      secrets,
    );
    const program = await import('../src/index.js');
    const tableName = await new Promise((resolve) => program.tableName.apply(resolve));
    expect(tableName).toBe('receiptflow-staging-jobs');
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    expect(declared.find((r) => r.name === 'nat-instance')?.inputs.instanceType).toBe('t4g.micro');
  });
});
