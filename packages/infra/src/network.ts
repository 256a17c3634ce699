import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.js';
import type { NetworkPath } from './function-specs.js';
import { isGraviton, subnetCidrs } from './net-math.js';

/**
 * The VPC: public and private subnets in `azCount` zones, an internet gateway, one NAT
 * *instance* (cheaper than a NAT gateway at this traffic) with an Elastic IP for the private
 * route table, S3/DynamoDB gateway endpoints on both route tables, and an interface endpoint in
 * every private (= Lambda) subnet only for each AWS API a VPC function's code calls
 * (`interfaceEndpointServices`). With the default functions that is none: the SQS event source
 * mappings poll from the Lambda service, the consumers' own SQS calls (short retries) go through
 * the NAT instance (`NAT_SERVICES`), and the runtime ships logs itself (docs/deploy.md).
 *
 * Security groups carry no inline rules: each rule is its own resource, so a test or the
 * doctor can find it, and AWS's default allow-all egress is removed.
 */
export interface Network {
  vpc: aws.ec2.Vpc;
  publicSubnets: aws.ec2.Subnet[];
  /** Where the VPC Lambdas, EFS mount targets, interface endpoints and Chroma tasks live. */
  privateSubnets: aws.ec2.Subnet[];
  privateSubnetCidrs: string[];
  publicRouteTable: aws.ec2.RouteTable;
  privateRouteTable: aws.ec2.RouteTable;
  natInstance: aws.ec2.Instance;
  /** The NAT's stable egress address: survives instance replacement (allow-list it for Places). */
  natEip: aws.ec2.Eip;
  natSecurityGroup: aws.ec2.SecurityGroup;
  lambdaSecurityGroup: aws.ec2.SecurityGroup;
  /** Present only with interface endpoints. */
  endpointSecurityGroup: aws.ec2.SecurityGroup | undefined;
  interfaceEndpoints: Partial<Record<NetworkPath, aws.ec2.VpcEndpoint>>;
  gatewayEndpoints: { s3: aws.ec2.VpcEndpoint; dynamodb: aws.ec2.VpcEndpoint };
  region: pulumi.Output<string>;
}

export interface NetworkOptions {
  /** Ports, besides 443, that traffic from the private subnets may take through the NAT. */
  extraInternetPorts: number[];
  /** Interface endpoints to create (`interfaceEndpointServices` of the function plans). */
  interfaceServices: readonly NetworkPath[];
}

/** The NAT instance's user data: IP forwarding plus an iptables MASQUERADE for the VPC. */
export function natUserData(vpcCidr: string): string {
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    '# Forward packets from the private subnets and rewrite their source to this instance.',
    'sysctl -w net.ipv4.ip_forward=1',
    "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-nat.conf",
    'dnf install -y iptables-services',
    'systemctl enable --now iptables',
    "IFACE=$(ip route show default | awk '{print $5; exit}')",
    '# iptables-services ships a FORWARD REJECT rule; a NAT must forward.',
    'iptables -F FORWARD',
    `iptables -t nat -A POSTROUTING -o "$IFACE" -s ${vpcCidr} -j MASQUERADE`,
    'iptables-save > /etc/sysconfig/iptables',
    '',
  ].join('\n');
}

/** The SSM parameter of the latest Amazon Linux 2023 AMI for the instance type's CPU. */
export function natAmiParameter(instanceType: string): string {
  const arch = isGraviton(instanceType) ? 'arm64' : 'x86_64';
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch}`;
}

export function createNetwork(ctx: StackContext, opts: NetworkOptions): Network {
  const { cfg, tags } = ctx;
  const named = (name: string) => ({ ...tags, Name: `${ctx.prefix}-${name}` });
  const region = aws.getRegionOutput().region;
  const zones = cfg.availabilityZones
    ? pulumi.output(cfg.availabilityZones)
    : aws.getAvailabilityZonesOutput({ state: 'available' }).names.apply((n) => n.slice(0, cfg.azCount));
  const cidrs = subnetCidrs(cfg.vpcCidr, cfg.azCount);

  const vpc = new aws.ec2.Vpc('vpc', {
    cidrBlock: cfg.vpcCidr,
    // Both are required for the interface endpoints' private DNS names to resolve.
    enableDnsSupport: true,
    enableDnsHostnames: true,
    tags: named('vpc'),
  });
  const igw = new aws.ec2.InternetGateway('igw', { vpcId: vpc.id, tags: named('igw') });

  // Subnet i of either tier lies in zone i (the first zone when there are fewer); none maps public IPs on launch.
  const subnetsOf = (tier: 'public' | 'private') =>
    cidrs[tier].map(
      (cidrBlock, i) =>
        new aws.ec2.Subnet(`${tier}-${i}`, {
          vpcId: vpc.id,
          cidrBlock,
          availabilityZone: zones.apply((z) => z[i] ?? z[0] ?? ''),
          mapPublicIpOnLaunch: false,
          tags: named(`${tier}-${i}`),
        }),
    );
  const publicSubnets = subnetsOf('public');
  const privateSubnets = subnetsOf('private');

  // A tier's route table: its default route goes to `target`, and every subnet of the tier uses it.
  const routeTableOf = (
    tier: 'public' | 'private',
    subnets: aws.ec2.Subnet[],
    target: Pick<aws.ec2.RouteArgs, 'gatewayId' | 'networkInterfaceId'>,
  ) => {
    const table = new aws.ec2.RouteTable(`${tier}-rt`, { vpcId: vpc.id, tags: named(`${tier}-rt`) });
    new aws.ec2.Route(`${tier}-default`, { routeTableId: table.id, destinationCidrBlock: '0.0.0.0/0', ...target });
    subnets.forEach(
      (s, i) => new aws.ec2.RouteTableAssociation(`${tier}-${i}-rta`, { subnetId: s.id, routeTableId: table.id }),
    );
    return table;
  };
  const publicRouteTable = routeTableOf('public', publicSubnets, { gatewayId: igw.id });

  // --- NAT instance -------------------------------------------------------------------
  const natSecurityGroup = new aws.ec2.SecurityGroup('nat-sg', {
    vpcId: vpc.id,
    description: 'NAT instance: HTTPS from the private subnets, out to the internet',
    tags: named('nat-sg'),
  });
  const internetPorts = [443, ...opts.extraInternetPorts.filter((p) => p !== 443)];
  for (const port of internetPorts) {
    cidrs.private.forEach(
      (cidr, i) =>
        new aws.vpc.SecurityGroupIngressRule(`nat-in-${port}-private-${i}`, {
          securityGroupId: natSecurityGroup.id,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          cidrIpv4: cidr,
          description: `tcp ${port} from private subnet ${i}`,
        }),
    );
    new aws.vpc.SecurityGroupEgressRule(`nat-out-${port}`, {
      securityGroupId: natSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      cidrIpv4: '0.0.0.0/0',
      description: `tcp ${port} to the internet`,
    });
  }
  const ami = cfg.natAmiId ?? aws.ssm.getParameterOutput({ name: natAmiParameter(cfg.natInstanceType) }).value;
  const natInstance = new aws.ec2.Instance('nat-instance', {
    ami,
    instanceType: cfg.natInstanceType,
    subnetId: publicSubnets[0]!.id,
    vpcSecurityGroupIds: [natSecurityGroup.id],
    // A public IP at boot, so user data can install iptables; the Elastic IP below replaces it
    // (AWS releases the automatic address when an EIP is associated, so only one is billed).
    associatePublicIpAddress: true,
    // A NAT forwards packets that are neither from nor to itself.
    sourceDestCheck: false,
    userData: natUserData(cfg.vpcCidr),
    userDataReplaceOnChange: true,
    metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled' },
    rootBlockDevice: { volumeType: 'gp3', volumeSize: 8, encrypted: true },
    tags: named('nat-instance'),
  });

  // The automatic public IP changes whenever the instance is replaced (AMI, type or user data
  // change); an API key restricted to the old IP would then stop working. The EIP and its
  // association are separate resources, so a replaced instance gets the same address back.
  const natEip = new aws.ec2.Eip('nat-eip', { domain: 'vpc', tags: named('nat-eip') });
  new aws.ec2.EipAssociation('nat-eip-association', { allocationId: natEip.allocationId, instanceId: natInstance.id });

  const privateRouteTable = routeTableOf('private', privateSubnets, {
    networkInterfaceId: natInstance.primaryNetworkInterfaceId,
  });

  // --- Gateway endpoints (free): S3 and DynamoDB stay off the NAT ------------------------
  const gateway = (service: 's3' | 'dynamodb') =>
    new aws.ec2.VpcEndpoint(`${service}-gateway`, {
      vpcId: vpc.id,
      serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
      vpcEndpointType: 'Gateway',
      routeTableIds: [publicRouteTable.id, privateRouteTable.id],
      tags: named(`${service}-gateway`),
    });
  const gatewayEndpoints = { s3: gateway('s3'), dynamodb: gateway('dynamodb') };

  // --- Security groups of the Lambdas and the interface endpoints ------------------------
  const lambdaSecurityGroup = new aws.ec2.SecurityGroup('lambda-sg', {
    vpcId: vpc.id,
    description: 'VPC Lambdas: HTTPS out (endpoints, gateway endpoints, NAT)',
    tags: named('lambda-sg'),
  });
  for (const port of internetPorts) {
    new aws.vpc.SecurityGroupEgressRule(`lambda-out-${port}`, {
      securityGroupId: lambdaSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      cidrIpv4: '0.0.0.0/0',
      description: `tcp ${port}: AWS endpoints and, through the NAT, the internet`,
    });
  }
  // --- Interface endpoints: only for APIs that a VPC function's code calls ---------------
  let endpointSecurityGroup: aws.ec2.SecurityGroup | undefined;
  const interfaceEndpoints: Partial<Record<NetworkPath, aws.ec2.VpcEndpoint>> = {};
  if (opts.interfaceServices.length > 0) {
    const sg = new aws.ec2.SecurityGroup('endpoint-sg', {
      vpcId: vpc.id,
      description: 'Interface endpoints: HTTPS from the Lambda security group only',
      tags: named('endpoint-sg'),
    });
    endpointSecurityGroup = sg;
    new aws.vpc.SecurityGroupIngressRule('endpoint-in-443-lambda', {
      securityGroupId: sg.id,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: lambdaSecurityGroup.id,
      description: 'HTTPS from the VPC Lambdas',
    });
    for (const service of opts.interfaceServices) {
      interfaceEndpoints[service] = new aws.ec2.VpcEndpoint(`${service}-interface`, {
        vpcId: vpc.id,
        serviceName: pulumi.interpolate`com.amazonaws.${region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        // One ENI per Lambda subnet, so every Lambda has the endpoint in its own subnet.
        subnetIds: privateSubnets.map((s) => s.id),
        securityGroupIds: [sg.id],
        tags: named(`${service}-interface`),
      });
    }
  }

  return {
    vpc,
    publicSubnets,
    privateSubnets,
    privateSubnetCidrs: cidrs.private,
    publicRouteTable,
    privateRouteTable,
    natInstance,
    natEip,
    natSecurityGroup,
    lambdaSecurityGroup,
    endpointSecurityGroup,
    interfaceEndpoints,
    gatewayEndpoints,
    region,
  };
}
