import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AwsLiveStackReader, type LiveStackClients } from '../src/doctor/live/aws-live-stack-reader.js';
import { LIVE_CHECKS, runLiveChecks, type LiveExpectations, type LiveFailure } from '../src/doctor/live/live-checks.js';
import { FUNCTION_NAMES } from '../src/function-specs.js';
import { planFunctions, planQueues } from '../src/plan.js';
import { serverConfig, testConfig } from './helpers.js';

// `doctor --live` on recorded describe responses of a deployed default stack (fixtures shaped as
// the SDK returns them), with one thing broken per case. No network: the clients are fakes.
type Recorded = Record<'ec2' | 'lambda' | 'efs' | 'sqs', Record<string, any>>;
const HEALTHY: Recorded = JSON.parse(
  readFileSync(new URL('./fixtures/live/healthy-stack.json', import.meta.url), 'utf8'),
);

/** The input field that selects among several recorded answers of one command. */
const KEYED_BY: Record<string, string> = {
  DescribeVpcAttribute: 'Attribute',
  GetFunction: 'FunctionName',
  ListEventSourceMappings: 'FunctionName',
  DescribeMountTargetSecurityGroups: 'MountTargetId',
  GetQueueUrl: 'QueueName',
  GetQueueAttributes: 'QueueUrl',
};
const NOT_FOUND: Record<string, string> = {
  GetFunction: 'ResourceNotFoundException',
  GetQueueUrl: 'QueueDoesNotExist',
};

/** Fake SDK clients: `send(command)` answers the recorded response for the command (and its key). */
function recordedClients(recorded: Recorded, calls: string[] = []): LiveStackClients {
  const client = (service: keyof Recorded) => ({
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push(`${service}:${name}`);
      const byCommand = recorded[service][name];
      if (byCommand === undefined) throw new Error(`no recorded response for ${service} ${name}`);
      const key = KEYED_BY[name];
      if (!key) return structuredClone(byCommand);
      const answer = byCommand[String(command.input[key])];
      if (answer === undefined)
        throw Object.assign(new Error(`${name}: ${String(command.input[key])} not found`), {
          name: NOT_FOUND[name] ?? 'NotFound',
        });
      return structuredClone(answer);
    },
  });
  return {
    ec2: client('ec2'),
    lambda: client('lambda'),
    efs: client('efs'),
    sqs: client('sqs'),
  } as unknown as LiveStackClients;
}

const cfg = serverConfig();
const fns = planFunctions(cfg);
const expected: LiveExpectations = { functions: Object.values(fns), queues: planQueues(cfg, fns) };
const QUERY = {
  prefix: 'receiptflow-dev',
  functions: FUNCTION_NAMES,
  queues: ['ocr-queue', 'ocr-results-queue', 'compaction-queue'],
};

async function check(
  mutate: (r: Recorded) => void = () => {},
  exp: LiveExpectations = expected,
): Promise<LiveFailure[]> {
  const recorded = structuredClone(HEALTHY);
  mutate(recorded);
  const live = await new AwsLiveStackReader(recordedClients(recorded)).read(QUERY);
  return runLiveChecks(live, exp);
}
const privateRt = (r: Recorded) =>
  r.ec2.DescribeRouteTables.RouteTables.find((t: any) => t.RouteTableId === 'rtb-000000000000priv');
const nat = (r: Recorded) => r.ec2.DescribeInstances.Reservations[0].Instances[0];

describe('doctor --live: reading the deployed stack', () => {
  it('reads the network model from describe responses: subnets, routes, NAT, security groups, endpoints, mount targets', async () => {
    const calls: string[] = [];
    const live = await new AwsLiveStackReader(recordedClients(HEALTHY, calls)).read(QUERY);
    expect(live.model.vpc).toEqual({
      id: 'vpc-0c1d2e3f4a5b60001',
      cidr: '10.20.0.0/16',
      dnsSupport: true,
      dnsHostnames: true,
    });
    expect(live.model.subnets.find((s) => s.id === 'subnet-0b0000000000priv1')).toEqual({
      id: 'subnet-0b0000000000priv1',
      cidr: '10.20.101.0/24',
      az: 'us-east-1b',
      routeTableId: 'rtb-000000000000priv',
    });
    expect(live.model.natInstances).toEqual([
      expect.objectContaining({
        id: 'i-0badc0ffee0000001',
        networkInterfaceId: 'eni-0aaaaaaaaaaaaaaa1',
        sourceDestCheck: false,
        masquerade: true,
        elasticIp: true,
      }),
    ]);
    expect(live.natInstances[0]).toMatchObject({ state: 'running', elasticIp: '203.0.113.10' });
    expect(live.model.functions.map((f) => [f.name, f.subnetIds.length, f.mountsEfs])).toEqual([
      ['authorizer', 0, false],
      ['compaction', 2, true],
      ['pipeline', 0, false],
      ['process-ocr-results', 2, false],
      ['receipts-change', 0, false],
      ['receipts-export', 0, false],
      ['receipts-read', 2, false],
      ['stream-processor', 0, false],
      ['sweep', 0, false],
      ['upload', 0, false],
    ]);
    expect(live.model.efsMountTargets.map((m) => m.securityGroupIds)).toEqual([
      ['sg-000000000000000efs'],
      ['sg-000000000000000efs'],
    ]);
    expect(live.mappings.map((m) => [m.functionName, m.state])).toEqual([
      ['process-ocr-results', 'Enabled'],
      ['stream-processor', 'Enabled'],
      ['compaction', 'Enabled'],
    ]);
    expect(sg(live.model, 'sg-0000000000000lambda').egress.map((r) => [r.fromPort, r.peer])).toEqual([
      [443, { kind: 'cidr', cidr: '0.0.0.0/0' }],
      [2049, { kind: 'security-group', id: 'sg-000000000000000efs' }],
    ]);
    // Describe and get calls only.
    expect(calls.every((c) => /:(Describe|Get|List)/.test(c))).toBe(true);
  });

  it('the healthy stack passes every check of the list', async () => {
    expect(await check()).toEqual([]);
    expect(LIVE_CHECKS[1]).toEqual({ id: 'nat-running', question: 'Is the NAT instance running?' });
  });
});

describe('doctor --live: each failure, with its fix', () => {
  it('a stopped NAT instance', async () => {
    const failures = await check((r) => {
      nat(r).State = { Code: 80, Name: 'stopped' };
      delete nat(r).PublicIpAddress;
    });
    expect(failures).toEqual([
      {
        check: 'nat-running',
        subject: 'NAT instance i-0badc0ffee0000001',
        problem:
          'is stopped: the VPC functions cannot reach OpenAI, Places or an external Chroma, and their short SQS retries fall back to the visibility timeout',
        fix: 'aws ec2 start-instances --instance-ids i-0badc0ffee0000001',
      },
    ]);
  });

  it("a missing route: the Lambda subnets' table has no 0.0.0.0/0", async () => {
    const failures = await check((r) => {
      privateRt(r).Routes = privateRt(r).Routes.filter((x: any) => x.DestinationCidrBlock !== '0.0.0.0/0');
    });
    const fix =
      'aws ec2 create-route --route-table-id rtb-000000000000priv --destination-cidr-block 0.0.0.0/0 --network-interface-id eni-0aaaaaaaaaaaaaaa1';
    expect(failures).toEqual([
      {
        check: 'private-routes',
        subject: 'compaction → internet through the NAT (OpenAI, Google Places, an external Chroma, SQS retries)',
        problem: 'missing a 0.0.0.0/0 route to the NAT instance in route table rtb-000000000000priv',
        fix,
      },
      {
        check: 'private-routes',
        subject:
          'process-ocr-results → internet through the NAT (OpenAI, Google Places, an external Chroma, SQS retries)',
        problem: 'missing a 0.0.0.0/0 route to the NAT instance in route table rtb-000000000000priv',
        fix,
      },
      {
        check: 'private-routes',
        subject: 'receipts-read → internet through the NAT (OpenAI, Google Places, an external Chroma, SQS retries)',
        problem: 'missing a 0.0.0.0/0 route to the NAT instance in route table rtb-000000000000priv',
        fix,
      },
    ]);
  });

  it('a blackhole route (its NAT network interface is gone)', async () => {
    const failures = await check((r) => {
      privateRt(r).Routes.find((x: any) => x.DestinationCidrBlock === '0.0.0.0/0').State = 'blackhole';
    });
    expect(failures.map((f) => [f.check, f.problem])).toEqual([
      ['private-routes', 'its 0.0.0.0/0 route to eni-0aaaaaaaaaaaaaaa1 is blackhole'],
    ]);
    expect(failures[0]!.fix).toMatch(/^aws ec2 replace-route --route-table-id rtb-000000000000priv/);
  });

  it('an endpoint without private DNS, for a function whose code calls that service', async () => {
    // As if compaction reached SQS through an endpoint (SQS out of NAT_SERVICES): the plan then needs one, and the stack has one.
    const callsSqs: LiveExpectations = {
      ...expected,
      functions: expected.functions.map((f) => (f.name === 'compaction' ? { ...f, paths: ['sqs', ...f.paths] } : f)),
    };
    const sqsEndpoint = (privateDns: boolean) => (r: Recorded) => {
      r.ec2.DescribeSecurityGroups.SecurityGroups.push({
        GroupId: 'sg-0000000000endpoint',
        GroupName: 'endpoint-sg',
        VpcId: 'vpc-0c1d2e3f4a5b60001',
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            IpRanges: [],
            UserIdGroupPairs: [{ GroupId: 'sg-0000000000000lambda' }],
          },
        ],
        IpPermissionsEgress: [],
      });
      r.ec2.DescribeVpcEndpoints.VpcEndpoints.push({
        VpcEndpointId: 'vpce-0sqsinterface0000',
        VpcEndpointType: 'Interface',
        VpcId: 'vpc-0c1d2e3f4a5b60001',
        ServiceName: 'com.amazonaws.us-east-1.sqs',
        State: 'available',
        PrivateDnsEnabled: privateDns,
        SubnetIds: ['subnet-0b0000000000priv0', 'subnet-0b0000000000priv1'],
        Groups: [{ GroupId: 'sg-0000000000endpoint', GroupName: 'endpoint-sg' }],
      });
    };
    expect(await check(sqsEndpoint(true), callsSqs)).toEqual([]);
    expect(await check(sqsEndpoint(false), callsSqs)).toEqual([
      {
        check: 'vpc-endpoints',
        subject: 'compaction → SQS',
        problem: 'missing private DNS on the SQS interface endpoint in endpoint vpce-0sqsinterface0000',
        fix: 'aws ec2 modify-vpc-endpoint --vpc-endpoint-id vpce-0sqsinterface0000 --private-dns-enabled',
      },
    ]);
  });

  it("the seed's SQS and Logs endpoints, still deployed, are reported as paid for and unused", async () => {
    const failures = await check((r) => {
      for (const service of ['sqs', 'logs']) {
        r.ec2.DescribeVpcEndpoints.VpcEndpoints.push({
          VpcEndpointId: `vpce-0${service}seed00000000`,
          VpcEndpointType: 'Interface',
          VpcId: 'vpc-0c1d2e3f4a5b60001',
          ServiceName: `com.amazonaws.us-east-1.${service}`,
          State: 'available',
          PrivateDnsEnabled: true,
          SubnetIds: ['subnet-0b0000000000priv0', 'subnet-0b0000000000priv1'],
          Groups: [],
        });
      }
    });
    expect(failures.map((f) => [f.check, f.subject, f.fix])).toEqual([
      [
        'unneeded-endpoints',
        'endpoint vpce-0sqsseed00000000 (sqs)',
        'aws ec2 delete-vpc-endpoints --vpc-endpoint-ids vpce-0sqsseed00000000  (or `pulumi up`, which no longer declares it)',
      ],
      [
        'unneeded-endpoints',
        'endpoint vpce-0logsseed00000000 (logs)',
        'aws ec2 delete-vpc-endpoints --vpc-endpoint-ids vpce-0logsseed00000000  (or `pulumi up`, which no longer declares it)',
      ],
    ]);
    expect(failures[0]!.problem).toMatch(
      /costs \$14\.60\/month \(2 AZ\)\. The SQS event source mappings poll from the Lambda service, outside the VPC/,
    );
    // The consumers do call SQS themselves: through the NAT instance, which is why no endpoint is needed.
    expect(failures[0]!.problem).toMatch(/consumers’ own SQS calls \(short retries\) go through the NAT instance/);
  });

  it('source/dest check on, and no Elastic IP', async () => {
    const failures = await check((r) => {
      nat(r).SourceDestCheck = true;
      r.ec2.DescribeAddresses.Addresses = [];
    });
    expect(failures.map((f) => [f.check, f.fix])).toEqual([
      ['nat-source-dest', 'aws ec2 modify-instance-attribute --instance-id i-0badc0ffee0000001 --no-source-dest-check'],
      [
        'nat-elastic-ip',
        '`pulumi up` (the stack declares nat-eip and its association), then allow-list `pulumi stack output natPublicIp` on the Places key',
      ],
    ]);
    expect(failures[1]!.problem).toBe(
      'has no Elastic IP (egress from 203.0.113.10, which changes if the instance is replaced)',
    );
  });

  it('the Lambda security group lost 443 out', async () => {
    const failures = await check((r) => {
      const lambda = r.ec2.DescribeSecurityGroups.SecurityGroups.find(
        (g: any) => g.GroupId === 'sg-0000000000000lambda',
      );
      lambda.IpPermissionsEgress = lambda.IpPermissionsEgress.filter((p: any) => p.FromPort !== 443);
    });
    expect(new Set(failures.map((f) => f.check))).toEqual(new Set(['security-groups']));
    expect(failures.map((f) => f.subject)).toEqual([
      'compaction → DynamoDB',
      'compaction → S3',
      'compaction → internet through the NAT (OpenAI, Google Places, an external Chroma, SQS retries)',
      'process-ocr-results → DynamoDB',
      'process-ocr-results → S3',
      'process-ocr-results → internet through the NAT (OpenAI, Google Places, an external Chroma, SQS retries)',
      'receipts-read → DynamoDB',
      'receipts-read → S3',
      'receipts-read → internet through the NAT (OpenAI, Google Places, an external Chroma, SQS retries)',
    ]);
    expect(failures[0]!.fix).toMatch(
      /^aws ec2 authorize-security-group-egress --group-id sg-0000000000000lambda --ip-permissions IpProtocol=tcp,FromPort=443/,
    );
  });

  it('a mount target missing in one AZ, and one still creating', async () => {
    // The recorded compaction function mounts EFS, as in efs mode.
    const efs = testConfig();
    const efsFns = planFunctions(efs);
    const failures = await check(
      (r) => {
        r.efs.DescribeMountTargets.MountTargets = r.efs.DescribeMountTargets.MountTargets.filter(
          (m: any) => m.AvailabilityZoneName === 'us-east-1a',
        );
        r.efs.DescribeMountTargets.MountTargets[0].LifeCycleState = 'creating';
      },
      { functions: [efsFns.compaction], queues: planQueues(efs, efsFns) },
    );
    expect(failures.map((f) => [f.check, f.subject, f.problem])).toEqual([
      [
        'efs-mount-targets',
        'compaction → EFS',
        'missing an EFS mount target in us-east-1b (subnet subnet-0b0000000000priv1)',
      ],
      ['efs-mount-targets', 'mount target fsmt-0000000000000000a (us-east-1a)', 'is creating, not available'],
    ]);
    expect(failures[0]!.fix).toBe(
      'aws efs create-mount-target --file-system-id fs-0123456789abcdef0 --subnet-id subnet-0b0000000000priv1 --security-groups EFS_SG  (or `pulumi up`)',
    );
  });

  it('a disabled mapping, a mapping on the wrong queue, and one without batch item failures', async () => {
    const failures = await check((r) => {
      const m = r.lambda.ListEventSourceMappings;
      m['receiptflow-dev-process-ocr-results'].EventSourceMappings[0].State = 'Disabled';
      m['receiptflow-dev-process-ocr-results'].EventSourceMappings[0].FunctionResponseTypes = [];
      m['receiptflow-dev-compaction'].EventSourceMappings[0].EventSourceArn =
        'arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-ocr-queue';
    });
    expect(failures.map((f) => [f.check, f.subject, f.fix])).toEqual([
      [
        'event-source-mappings',
        'process-ocr-results mapping 6f1c8a52-0000-4000-8000-000000000001',
        'aws lambda update-event-source-mapping --uuid 6f1c8a52-0000-4000-8000-000000000001 --enabled',
      ],
      [
        'event-source-mappings',
        'process-ocr-results mapping 6f1c8a52-0000-4000-8000-000000000001',
        'aws lambda update-event-source-mapping --uuid 6f1c8a52-0000-4000-8000-000000000001 --function-response-types ReportBatchItemFailures',
      ],
      [
        'event-source-mappings',
        'compaction mapping 6f1c8a52-0000-4000-8000-000000000002',
        'aws lambda delete-event-source-mapping --uuid 6f1c8a52-0000-4000-8000-000000000002, then `pulumi up`',
      ],
      ['event-source-mappings', 'compaction', '`pulumi up` creates the mapping'],
    ]);
  });

  // docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached
  it('a queue without a redrive policy, and one whose DLQ cannot be reached within retention', async () => {
    const failures = await check((r) => {
      const attrs = r.sqs.GetQueueAttributes;
      delete attrs['https://sqs.us-east-1.amazonaws.com/123456789012/receiptflow-dev-ocr-queue'].Attributes
        .RedrivePolicy;
      attrs[
        'https://sqs.us-east-1.amazonaws.com/123456789012/receiptflow-dev-compaction-queue'
      ].Attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-compaction-queue-dlq',
        maxReceiveCount: 1000,
      });
    });
    expect(failures.map((f) => [f.check, f.subject])).toEqual([
      ['redrive-policies', 'receiptflow-dev-ocr-queue'],
      ['redrive-policies', 'receiptflow-dev-compaction-queue'],
    ]);
    expect(failures[0]!.fix).toContain(
      '"deadLetterTargetArn\\":\\"arn:aws:sqs:us-east-1:123456789012:receiptflow-dev-ocr-queue-dlq\\",\\"maxReceiveCount\\":\\"5\\"',
    );
    expect(failures[1]!.problem).toMatch(
      /maxReceiveCount 1000 cannot be reached within retention \(345600 s \/ visibility 3600 s allows 96 receives\)/,
    );
  });

  it('a function that is not deployed', async () => {
    const failures = await check((r) => {
      delete r.lambda.GetFunction['receiptflow-dev-compaction'];
    });
    expect(failures.map((f) => [f.check, f.subject, f.problem])).toEqual(
      expect.arrayContaining([['functions', 'function compaction', 'is not deployed']]),
    );
  });
});

function sg(model: { securityGroups: { id: string; egress: any[] }[] }, id: string) {
  return model.securityGroups.find((g) => g.id === id)!;
}
