import { beforeAll, describe, expect, it } from 'vitest';
import { collectStack } from '../src/doctor/collect.js';
import { diagnose, formatFinding, type Finding } from '../src/doctor/diagnose.js';
import { extractModel, type NetworkModel } from '../src/doctor/model.js';
import { serverConfig, testConfig } from './helpers.js';

// The model of the default stack and of the self-hosted-Chroma stack, as the program declares them.
let healthy: NetworkModel;
let withFargate: NetworkModel;
/** The default stack (vectorStorageMode efs): compaction and the results step mount EFS. */
let efsStack: NetworkModel;
beforeAll(async () => {
  efsStack = extractModel((await collectStack(testConfig())).resources);
  healthy = extractModel((await collectStack(serverConfig())).resources);
  withFargate = extractModel(
    (await collectStack(serverConfig({ chromaMode: 'fargate', chromaUrl: undefined }))).resources,
  );
});

/** Diagnoses a copy of `model` with one thing broken. */
function breakModel(model: NetworkModel, mutate: (m: NetworkModel) => void): Finding[] {
  const copy = structuredClone(model);
  mutate(copy);
  return diagnose(copy);
}
const sg = (m: NetworkModel, id: string) => m.securityGroups.find((g) => g.id === id)!;
/** The same finding for each VPC function (receipts-read's similar route reaches Chroma too). */
const both = (f: Omit<Finding, 'function'>): Finding[] => [
  { function: 'compaction', ...f },
  { function: 'process-ocr-results', ...f },
  { function: 'receipts-read', ...f },
];

describe('network doctor on the declared stack', () => {
  it('extracts what the program declares', () => {
    expect(healthy.functions.map((f) => [f.name, f.subnetIds, f.needs])).toEqual([
      ['authorizer', [], []],
      // AWS paths from each role's code statements (SQS through the NAT, so `internet`; no Logs),
      // then the external ones. server mode: Chroma through the NAT, no EFS mount.
      ['compaction', ['private-0', 'private-1'], ['dynamodb', 's3', 'internet', 'chroma']],
      // The operator routes: DynamoDB and SQS only, outside the VPC.
      ['pipeline', [], []],
      ['process-ocr-results', ['private-0', 'private-1'], ['dynamodb', 's3', 'internet', 'chroma']],
      // Google Places too (GET /places): outside the VPC, Lambda's own network reaches it.
      ['receipts-change', [], []],
      // DynamoDB and S3 only: outside the VPC, no path of its own to check.
      ['receipts-export', [], []],
      // Only its similar route needs the VPC (Chroma; external here, so through the NAT).
      ['receipts-read', ['private-0', 'private-1'], ['dynamodb', 's3', 'chroma', 'internet']],
      ['stream-processor', [], []],
      ['sweep', [], []],
      ['upload', [], []],
    ]);
    expect(healthy.natInstances).toEqual([
      {
        id: 'nat-instance',
        networkInterfaceId: 'nat-instance-eni',
        subnetId: 'public-0',
        sourceDestCheck: false,
        masquerade: true,
        publicIp: true,
        elasticIp: true,
        securityGroupIds: ['nat-sg'],
      },
    ]);
  });

  it('finds every path open in the default and the Fargate stacks', () => {
    expect(diagnose(healthy)).toEqual([]);
    expect(diagnose(withFargate)).toEqual([]);
  });
});

describe('network doctor: each broken path, in turn', () => {
  // The default stack has no interface endpoint (the VPC functions' SQS calls go through the NAT,
  // none calls Logs). These cases check a stack whose VPC functions reached SQS through an
  // endpoint, as the program would make one if SQS left NAT_SERVICES.
  const callingSqs = (m: NetworkModel) => {
    for (const f of m.functions) if (f.subnetIds.length > 0) f.needs.unshift('sqs');
    m.securityGroups.push({
      id: 'endpoint-sg',
      ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, peer: { kind: 'security-group', id: 'lambda-sg' } }],
      egress: [],
    });
    m.interfaceEndpoints.push({
      id: 'sqs-interface',
      service: 'sqs',
      subnetIds: ['private-0', 'private-1'],
      securityGroupIds: ['endpoint-sg'],
      privateDns: true,
    });
  };
  const breakSqs = (mutate: (m: NetworkModel) => void) =>
    breakModel(healthy, (m) => {
      callingSqs(m);
      mutate(m);
    });

  it('a function that calls SQS, with its endpoint in every subnet, is healthy', () => {
    expect(breakSqs(() => {})).toEqual([]);
  });

  it('SQS endpoint in the first private subnet only (the seed placement)', () => {
    const findings = breakSqs((m) => {
      m.interfaceEndpoints.find((e) => e.service === 'sqs')!.subnetIds = ['private-0'];
    });
    expect(findings).toEqual(
      both({ path: 'sqs', missing: 'an SQS interface endpoint ENI', where: 'subnet private-1 (us-east-1b)' }),
    );
    expect(formatFinding(findings[0]!)).toBe(
      'compaction → SQS: missing an SQS interface endpoint ENI in subnet private-1 (us-east-1b)',
    );
  });

  it('no SQS interface endpoint at all', () => {
    const findings = breakSqs((m) => {
      m.interfaceEndpoints = m.interfaceEndpoints.filter((e) => e.service !== 'sqs');
    });
    expect(findings).toEqual(both({ path: 'sqs', missing: 'an SQS interface endpoint', where: 'VPC vpc' }));
  });

  it('private DNS off on the SQS endpoint', () => {
    const findings = breakSqs((m) => {
      m.interfaceEndpoints.find((e) => e.service === 'sqs')!.privateDns = false;
    });
    expect(findings).toEqual(
      both({ path: 'sqs', missing: 'private DNS on the SQS interface endpoint', where: 'endpoint sqs-interface' }),
    );
  });

  it('VPC without DNS hostnames', () => {
    const findings = breakSqs((m) => {
      m.vpc!.dnsHostnames = false;
    });
    expect(findings).toEqual(
      both({ path: 'sqs', missing: 'DNS support and DNS hostnames (private DNS needs both)', where: 'VPC vpc' }),
    );
  });

  it('endpoint security group without 443 from the Lambda security group', () => {
    const findings = breakSqs((m) => {
      sg(m, 'endpoint-sg').ingress = [];
    });
    expect(findings).toEqual(
      both({
        path: 'sqs',
        missing: 'inbound tcp 443 from the Lambda security group',
        where: 'endpoint security group endpoint-sg',
      }),
    );
  });

  it('S3 gateway endpoint on the public route table only', () => {
    const findings = breakModel(healthy, (m) => {
      m.gatewayEndpoints.find((e) => e.service === 's3')!.routeTableIds = ['public-rt'];
    });
    expect(findings).toEqual(
      both({ path: 's3', missing: 'an S3 gateway endpoint on the route table', where: 'route table private-rt' }),
    );
  });

  it('no DynamoDB gateway endpoint', () => {
    const findings = breakModel(healthy, (m) => {
      m.gatewayEndpoints = m.gatewayEndpoints.filter((e) => e.service !== 'dynamodb');
    });
    expect(findings).toEqual(
      both({
        path: 'dynamodb',
        missing: 'a DynamoDB gateway endpoint on the route table',
        where: 'route table private-rt',
      }),
    );
  });

  it('private route table without a default route', () => {
    const findings = breakModel(healthy, (m) => {
      m.routeTables.find((t) => t.id === 'private-rt')!.routes = [];
    });
    expect(findings).toEqual(
      both({ path: 'internet', missing: 'a 0.0.0.0/0 route to the NAT instance', where: 'route table private-rt' }),
    );
  });

  it('default route to an ENI that is no NAT instance (blackhole)', () => {
    const findings = breakModel(healthy, (m) => {
      m.routeTables.find((t) => t.id === 'private-rt')!.routes[0]!.target = {
        kind: 'network-interface',
        id: 'eni-gone',
      };
    });
    expect(findings).toEqual(
      both({
        path: 'internet',
        missing: 'the NAT instance behind the 0.0.0.0/0 route',
        where: 'route table private-rt',
      }),
    );
  });

  it('NAT instance with source/dest check on', () => {
    const findings = breakModel(healthy, (m) => {
      m.natInstances[0]!.sourceDestCheck = true;
    });
    expect(findings).toEqual(
      both({ path: 'internet', missing: 'source/dest check disabled', where: 'NAT instance nat-instance' }),
    );
  });

  it('NAT instance without MASQUERADE in its user data', () => {
    const findings = breakModel(healthy, (m) => {
      m.natInstances[0]!.masquerade = false;
    });
    expect(findings).toEqual(
      both({
        path: 'internet',
        missing: 'an iptables MASQUERADE rule in user data',
        where: 'NAT instance nat-instance',
      }),
    );
  });

  it('NAT instance without a public IP', () => {
    const findings = breakModel(healthy, (m) => {
      m.natInstances[0]!.publicIp = false;
    });
    expect(findings).toEqual(
      both({ path: 'internet', missing: 'a public IP address', where: 'NAT instance nat-instance' }),
    );
  });

  it('NAT instance without an Elastic IP (egress address changes on replacement)', () => {
    const findings = breakModel(healthy, (m) => {
      m.natInstances[0]!.elasticIp = false;
    });
    expect(findings).toEqual(
      both({
        path: 'internet',
        missing:
          'an Elastic IP (a replaced instance gets a new address, and an IP-restricted Places key stops working)',
        where: 'NAT instance nat-instance',
      }),
    );
  });

  it('NAT instance in a subnet without a route to the internet gateway', () => {
    const findings = breakModel(healthy, (m) => {
      m.routeTables.find((t) => t.id === 'public-rt')!.routes = [];
    });
    expect(findings).toEqual(
      both({
        path: 'internet',
        missing: 'a 0.0.0.0/0 route to the internet gateway',
        where: 'route table public-rt of NAT subnet public-0',
      }),
    );
  });

  it('NAT security group without 443 from the second private subnet', () => {
    const findings = breakModel(healthy, (m) => {
      sg(m, 'nat-sg').ingress = sg(m, 'nat-sg').ingress.filter(
        (r) => r.peer.kind !== 'cidr' || r.peer.cidr !== '10.20.101.0/24',
      );
    });
    expect(findings).toEqual(
      both({
        path: 'internet',
        missing: 'inbound tcp 443 from subnet private-1 (10.20.101.0/24)',
        where: 'NAT security group nat-sg',
      }),
    );
  });

  it('a Lambda subnet that routes to the internet gateway (a public subnet)', () => {
    const findings = breakModel(healthy, (m) => {
      m.subnets.find((s) => s.id === 'private-0')!.routeTableId = 'public-rt';
    });
    expect(findings).toEqual(
      both({
        path: 'internet',
        missing:
          'a private subnet (its 0.0.0.0/0 route goes to the internet gateway, and Lambda ENIs get no public IP)',
        where: 'subnet private-0',
      }),
    );
  });

  it('Lambda security group without 443 out', () => {
    const findings = breakModel(healthy, (m) => {
      sg(m, 'lambda-sg').egress = sg(m, 'lambda-sg').egress.filter((r) => r.fromPort !== 443);
    });
    const at = (path: Finding['path'], missing: string) => ({
      path,
      missing,
      where: 'Lambda security group lambda-sg',
    });
    const expected = (fn: string, paths: Finding['path'][]) =>
      paths
        .map(
          (p) =>
            ({
              sqs: at('sqs', 'outbound tcp 443 to the SQS endpoint'),
              logs: at('logs', 'outbound tcp 443 to the CloudWatch Logs endpoint'),
              s3: at('s3', 'outbound tcp 443 to the S3 prefix list'),
              dynamodb: at('dynamodb', 'outbound tcp 443 to the DynamoDB prefix list'),
              internet: at('internet', 'outbound tcp 443 to 0.0.0.0/0'),
            })[p as 'sqs'],
        )
        .map((f) => ({ function: fn, ...f }));
    expect(findings).toEqual([
      ...expected('compaction', ['dynamodb', 's3', 'internet']),
      ...expected('process-ocr-results', ['dynamodb', 's3', 'internet']),
      // receipts-read calls no SQS: only its external Chroma takes it through the NAT.
      ...expected('receipts-read', ['dynamodb', 's3', 'internet']),
    ]);
  });

  it('no EFS mount target in the second AZ', () => {
    const findings = breakModel(efsStack, (m) => {
      m.efsMountTargets = m.efsMountTargets.filter((t) => t.subnetId !== 'private-1');
    });
    expect(findings).toEqual(
      both({ path: 'efs', missing: 'an EFS mount target', where: 'us-east-1b (subnet private-1)' }),
    );
  });

  it('EFS security group without NFS from the Lambda security group', () => {
    const findings = breakModel(efsStack, (m) => {
      sg(m, 'efs-sg').ingress = [];
    });
    expect(findings).toEqual(
      both({
        path: 'efs',
        missing: 'inbound tcp 2049 (NFS) from the Lambda security group',
        where: 'EFS security group efs-sg',
      }),
    );
  });

  it('Lambda security group without NFS out', () => {
    const findings = breakModel(efsStack, (m) => {
      sg(m, 'lambda-sg').egress = sg(m, 'lambda-sg').egress.filter((r) => r.fromPort !== 2049);
    });
    expect(findings).toEqual(
      both({
        path: 'efs',
        missing: 'outbound tcp 2049 (NFS) to the EFS mount targets',
        where: 'Lambda security group lambda-sg',
      }),
    );
  });

  it('an EFS mount on a function outside the VPC', () => {
    const findings = breakModel(healthy, (m) => {
      m.functions.find((f) => f.name === 'upload')!.mountsEfs = true;
    });
    expect(findings).toEqual([
      {
        function: 'upload',
        path: 'efs',
        missing: 'VPC placement (an EFS mount needs the function in the VPC)',
        where: 'function upload',
      },
    ]);
  });

  it('self-hosted Chroma that does not admit the Lambdas', () => {
    const findings = breakModel(withFargate, (m) => {
      sg(m, 'chroma-sg').ingress = [];
    });
    expect(findings).toEqual(
      both({
        path: 'chroma',
        missing: 'inbound tcp 8000 from the Lambda security group',
        where: 'Chroma security group chroma-sg',
      }),
    );
  });

  it('an external Chroma on a non-HTTPS port is checked through the NAT', () => {
    const findings = breakModel(healthy, (m) => {
      for (const f of m.functions) if (f.subnetIds.length > 0) f.chromaPort = 8000;
    });
    const through = (fn: string): Finding[] => [
      {
        function: fn,
        path: 'internet',
        missing: 'outbound tcp 8000 to 0.0.0.0/0',
        where: 'Lambda security group lambda-sg',
      },
      {
        function: fn,
        path: 'internet',
        missing: 'inbound tcp 8000 from subnet private-0 (10.20.100.0/24)',
        where: 'NAT security group nat-sg',
      },
      { function: fn, path: 'internet', missing: 'outbound tcp 8000 to 0.0.0.0/0', where: 'NAT security group nat-sg' },
      {
        function: fn,
        path: 'internet',
        missing: 'inbound tcp 8000 from subnet private-1 (10.20.101.0/24)',
        where: 'NAT security group nat-sg',
      },
    ];
    expect(findings).toEqual([
      ...through('compaction'),
      ...through('process-ocr-results'),
      ...through('receipts-read'),
    ]);
  });
});
