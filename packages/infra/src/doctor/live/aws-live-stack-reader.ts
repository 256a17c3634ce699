import {
  DescribeAddressesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type IpPermission,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import {
  DescribeAccessPointsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  DescribeMountTargetsCommand,
  type EFSClient,
} from '@aws-sdk/client-efs';
import { GetFunctionCommand, ListEventSourceMappingsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { portOf, type ModelFunction, type ModelRoute, type ModelRule, type NetworkModel } from '../model.js';
import type { LiveMapping, LiveQueue, LiveStack } from './live-stack.js';

/** The SDK clients the reader calls; tests pass objects whose `send` answers recorded responses. */
export interface LiveStackClients {
  ec2: Pick<EC2Client, 'send'>;
  lambda: Pick<LambdaClient, 'send'>;
  efs: Pick<EFSClient, 'send'>;
  sqs: Pick<SQSClient, 'send'>;
}

/** What to look for: the stack's name prefix, and the logical names of its functions and queues. */
export interface LiveStackQuery {
  /** `receiptflow-<stack>` */
  prefix: string;
  functions: readonly string[];
  queues: readonly string[];
}

const isNotFound = (e: unknown) =>
  /NotFound|NonExistentQueue|QueueDoesNotExist/.test(String((e as { name?: string })?.name ?? ''));

/**
 * Reads a deployed receiptflow stack with describe/get calls only (never a write): VPC and its
 * DNS attributes, subnets, route tables, the NAT instance (state, source/dest check, user data,
 * Elastic IP), security groups, VPC endpoints, each function's VPC and EFS config, its event
 * source mappings, the EFS mount targets and the queues' attributes. Resources are found by the
 * names and `Name` tags the program gives them.
 *
 * @example
 * const reader = new AwsLiveStackReader({ ec2: new EC2Client({}), lambda: new LambdaClient({}), efs: new EFSClient({}), sqs: new SQSClient({}) });
 * const live = await reader.read({ prefix: 'receiptflow-dev', functions: FUNCTION_NAMES, queues: ['ocr-queue'] });
 */
export class AwsLiveStackReader {
  constructor(private readonly clients: LiveStackClients) {}

  async read(query: LiveStackQuery): Promise<LiveStack> {
    const { ec2 } = this.clients;
    const vpcs = await ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: [`${query.prefix}-vpc`] }] }),
    );
    const vpc = vpcs.Vpcs?.[0];
    const vpcId = vpc?.VpcId;
    const byVpc = vpcId ? [{ Name: 'vpc-id', Values: [vpcId] }] : [];

    const [dnsSupport, dnsHostnames] = vpcId
      ? await Promise.all([
          ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsSupport' })),
          ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' })),
        ])
      : [undefined, undefined];
    const subnets = vpcId ? ((await ec2.send(new DescribeSubnetsCommand({ Filters: byVpc }))).Subnets ?? []) : [];
    const routeTables = vpcId
      ? ((await ec2.send(new DescribeRouteTablesCommand({ Filters: byVpc }))).RouteTables ?? [])
      : [];
    const securityGroups = vpcId
      ? ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: byVpc }))).SecurityGroups ?? [])
      : [];
    const endpoints = vpcId
      ? ((await ec2.send(new DescribeVpcEndpointsCommand({ Filters: byVpc }))).VpcEndpoints ?? [])
      : [];
    const reservations = vpcId
      ? ((
          await ec2.send(
            new DescribeInstancesCommand({
              Filters: [...byVpc, { Name: 'tag:Name', Values: [`${query.prefix}-nat-instance`] }],
            }),
          )
        ).Reservations ?? [])
      : [];
    const instances = reservations.flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');

    // Subnets without an explicit association use the VPC's main route table.
    const mainTable = routeTables.find((t) => t.Associations?.some((a) => a.Main))?.RouteTableId;
    const tableOf = (subnetId: string) =>
      routeTables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId))?.RouteTableId ?? mainTable;

    const nats = [];
    const natModels = [];
    for (const i of instances) {
      const id = i.InstanceId!;
      const [userData, addresses] = await Promise.all([
        ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' })),
        ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [id] }] })),
      ]);
      const script = userData.UserData?.Value ? Buffer.from(userData.UserData.Value, 'base64').toString('utf8') : '';
      const eip = addresses.Addresses?.[0]?.PublicIp;
      nats.push({
        id,
        state: i.State?.Name ?? 'unknown',
        sourceDestCheck: i.SourceDestCheck !== false,
        publicIp: i.PublicIpAddress,
        elasticIp: eip,
      });
      natModels.push({
        id,
        networkInterfaceId: i.NetworkInterfaces?.[0]?.NetworkInterfaceId ?? '',
        subnetId: i.SubnetId ?? '',
        sourceDestCheck: i.SourceDestCheck !== false,
        masquerade: /MASQUERADE/.test(script),
        publicIp: Boolean(i.PublicIpAddress) || Boolean(eip),
        elasticIp: Boolean(eip),
        securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId!),
      });
    }

    const functions: ModelFunction[] = [];
    const liveFunctions = [];
    const missingFunctions: string[] = [];
    const mappings: LiveMapping[] = [];
    const accessPoints = new Set<string>();
    for (const name of query.functions) {
      const physicalName = `${query.prefix}-${name}`;
      let fn;
      try {
        fn = await this.clients.lambda.send(new GetFunctionCommand({ FunctionName: physicalName }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        missingFunctions.push(name);
        continue;
      }
      const c = fn.Configuration ?? {};
      const chromaUrl = c.Environment?.Variables?.CHROMA_URL;
      functions.push({
        name,
        subnetIds: c.VpcConfig?.SubnetIds ?? [],
        securityGroupIds: c.VpcConfig?.SecurityGroupIds ?? [],
        needs: [],
        mountsEfs: (c.FileSystemConfigs ?? []).length > 0,
        chromaPort: portOf(chromaUrl),
      });
      liveFunctions.push({ name, physicalName, timeoutSeconds: c.Timeout ?? 3, state: c.State ?? 'unknown' });
      for (const fs of c.FileSystemConfigs ?? []) if (fs.Arn) accessPoints.add(fs.Arn.split('/').pop()!);
      const listed = await this.clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: physicalName }));
      for (const m of listed.EventSourceMappings ?? []) {
        mappings.push({
          uuid: m.UUID ?? '?',
          functionName: name,
          eventSourceArn: m.EventSourceArn ?? '',
          state: m.State ?? 'unknown',
          functionResponseTypes: m.FunctionResponseTypes ?? [],
        });
      }
    }

    const mountTargets = [];
    const mountTargetModels = [];
    for (const accessPointId of accessPoints) {
      const ap = await this.clients.efs.send(new DescribeAccessPointsCommand({ AccessPointId: accessPointId }));
      const fileSystemId = ap.AccessPoints?.[0]?.FileSystemId;
      if (!fileSystemId) continue;
      const targets =
        (await this.clients.efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets ??
        [];
      for (const t of targets) {
        const groups = await this.clients.efs.send(
          new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: t.MountTargetId! }),
        );
        mountTargets.push({
          id: t.MountTargetId!,
          fileSystemId,
          subnetId: t.SubnetId ?? '',
          az: t.AvailabilityZoneName ?? '?',
          state: t.LifeCycleState ?? 'unknown',
        });
        mountTargetModels.push({
          id: t.MountTargetId!,
          subnetId: t.SubnetId ?? '',
          securityGroupIds: groups.SecurityGroups ?? [],
        });
      }
    }

    const queues: LiveQueue[] = [];
    for (const name of query.queues) {
      const physicalName = `${query.prefix}-${name}`;
      let url: string | undefined;
      try {
        url = (await this.clients.sqs.send(new GetQueueUrlCommand({ QueueName: physicalName }))).QueueUrl;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const attributes = url
        ? ((await this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })))
            .Attributes ?? {})
        : {};
      queues.push({ name, physicalName, url, attributes });
    }

    const model: NetworkModel = {
      vpc: vpc && {
        id: vpcId!,
        cidr: vpc.CidrBlock ?? '',
        dnsSupport: dnsSupport?.EnableDnsSupport?.Value !== false,
        dnsHostnames: dnsHostnames?.EnableDnsHostnames?.Value === true,
      },
      subnets: subnets.map((s) => ({
        id: s.SubnetId!,
        cidr: s.CidrBlock ?? '',
        az: s.AvailabilityZone ?? '?',
        routeTableId: tableOf(s.SubnetId!),
      })),
      routeTables: routeTables.map((t) => ({ id: t.RouteTableId!, routes: (t.Routes ?? []).map(routeOf) })),
      natInstances: natModels,
      securityGroups: securityGroups.map((g) => ({
        id: g.GroupId!,
        ingress: (g.IpPermissions ?? []).flatMap(rulesOf),
        egress: (g.IpPermissionsEgress ?? []).flatMap(rulesOf),
      })),
      gatewayEndpoints: endpoints
        .filter((e) => e.VpcEndpointType === 'Gateway')
        .map((e) => ({ ...endpointOf(e), routeTableIds: e.RouteTableIds ?? [] })),
      interfaceEndpoints: endpoints
        .filter((e) => e.VpcEndpointType === 'Interface')
        .map((e) => ({
          ...endpointOf(e),
          subnetIds: e.SubnetIds ?? [],
          securityGroupIds: (e.Groups ?? []).map((g) => g.GroupId!),
          privateDns: e.PrivateDnsEnabled === true,
        })),
      efsMountTargets: mountTargetModels,
      // Self-hosted Chroma (ECS) is not read live yet; its path is checked offline.
      chromaService: undefined,
      functions: functions.sort((a, b) => a.name.localeCompare(b.name)),
    };
    return {
      model,
      missingFunctions,
      functions: liveFunctions,
      natInstances: nats,
      routes: routeTables.flatMap((t) =>
        (t.Routes ?? []).map((r) => ({
          routeTableId: t.RouteTableId!,
          destination: r.DestinationCidrBlock ?? r.DestinationPrefixListId ?? '',
          target: r.NetworkInterfaceId ?? r.GatewayId ?? r.NatGatewayId ?? r.InstanceId ?? '',
          state: r.State ?? 'active',
        })),
      ),
      endpoints: endpoints.map((e) => ({
        ...endpointOf(e),
        type: e.VpcEndpointType === 'Gateway' ? 'Gateway' : 'Interface',
        state: String(e.State ?? 'unknown').toLowerCase(),
        privateDns: e.PrivateDnsEnabled === true,
      })),
      mountTargets,
      mappings,
      queues,
    };
  }
}

const serviceOf = (name: string | undefined) =>
  String(name ?? '')
    .split('.')
    .pop() ?? '';

/** An endpoint's id and the short name of its service (`com.amazonaws.<region>.s3` → `s3`). */
const endpointOf = (e: VpcEndpoint) => ({ id: e.VpcEndpointId!, service: serviceOf(e.ServiceName) });

/** An SDK permission as model rules, one per peer (CIDR, security group, prefix list). */
function rulesOf(p: IpPermission): ModelRule[] {
  const all = p.IpProtocol === '-1';
  const base = {
    protocol: p.IpProtocol ?? '-1',
    fromPort: all ? 0 : (p.FromPort ?? 0),
    toPort: all ? 65535 : (p.ToPort ?? 65535),
  };
  return [
    ...(p.IpRanges ?? []).map((r) => ({ ...base, peer: { kind: 'cidr' as const, cidr: r.CidrIp ?? '' } })),
    ...(p.UserIdGroupPairs ?? []).map((g) => ({
      ...base,
      peer: { kind: 'security-group' as const, id: g.GroupId ?? '' },
    })),
    ...(p.PrefixListIds ?? []).map((l) => ({
      ...base,
      peer: { kind: 'prefix-list' as const, id: l.PrefixListId ?? '' },
    })),
  ];
}

function routeOf(r: {
  DestinationCidrBlock?: string;
  GatewayId?: string;
  NetworkInterfaceId?: string;
  NatGatewayId?: string;
}): ModelRoute {
  const destination = r.DestinationCidrBlock ?? '';
  if (r.GatewayId?.startsWith('igw-')) return { destination, target: { kind: 'internet-gateway', id: r.GatewayId } };
  if (r.NetworkInterfaceId) return { destination, target: { kind: 'network-interface', id: r.NetworkInterfaceId } };
  if (r.NatGatewayId) return { destination, target: { kind: 'nat-gateway', id: r.NatGatewayId } };
  return { destination, target: { kind: 'other', id: r.GatewayId ?? '' } };
}
