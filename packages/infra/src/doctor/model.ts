import { NETWORK_PATHS, type NetworkPath } from '../function-specs.js';
import { PATHS_TAG } from '../lambdas.js';
import { ofType, type DeclaredResource } from './collect.js';

/**
 * A plain-data picture of the network, extracted from the declared resources. `diagnose` works
 * on this alone, so tests can break one path at a time by editing the model.
 */
export interface NetworkModel {
  vpc: { id: string; cidr: string; dnsSupport: boolean; dnsHostnames: boolean } | undefined;
  subnets: ModelSubnet[];
  routeTables: ModelRouteTable[];
  natInstances: ModelNatInstance[];
  securityGroups: ModelSecurityGroup[];
  gatewayEndpoints: { id: string; service: string; routeTableIds: string[] }[];
  interfaceEndpoints: {
    id: string;
    service: string;
    subnetIds: string[];
    securityGroupIds: string[];
    privateDns: boolean;
  }[];
  efsMountTargets: { id: string; subnetId: string; securityGroupIds: string[] }[];
  /** Self-hosted Chroma tasks, when declared. */
  chromaService: { subnetIds: string[]; securityGroupIds: string[] } | undefined;
  functions: ModelFunction[];
}

export interface ModelSubnet {
  id: string;
  cidr: string;
  az: string;
  /** From a route table association; undefined means the VPC's main route table. */
  routeTableId: string | undefined;
}

export interface ModelRoute {
  destination: string;
  target: { kind: 'internet-gateway' | 'network-interface' | 'nat-gateway' | 'other'; id: string };
}

export interface ModelRouteTable {
  id: string;
  routes: ModelRoute[];
}

export interface ModelNatInstance {
  id: string;
  networkInterfaceId: string;
  subnetId: string;
  sourceDestCheck: boolean;
  /** User data configures an iptables MASQUERADE. */
  masquerade: boolean;
  publicIp: boolean;
  /** An Elastic IP is associated: egress keeps its address across instance replacement. */
  elasticIp: boolean;
  securityGroupIds: string[];
}

/** One allow rule. `peer` is where traffic comes from (ingress) or goes to (egress). */
export interface ModelRule {
  protocol: string;
  fromPort: number;
  toPort: number;
  peer: { kind: 'cidr'; cidr: string } | { kind: 'security-group'; id: string } | { kind: 'prefix-list'; id: string };
}

export interface ModelSecurityGroup {
  id: string;
  ingress: ModelRule[];
  egress: ModelRule[];
}

export interface ModelFunction {
  name: string;
  /** Empty when the function runs outside the VPC. */
  subnetIds: string[];
  securityGroupIds: string[];
  /** Network paths it needs (from the function's `receiptflow:paths` tag). */
  needs: NetworkPath[];
  /** Mounts EFS (has a file system config). */
  mountsEfs: boolean;
  /** Port of CHROMA_URL, when set. */
  chromaPort: number | undefined;
}

const arr = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** The port a URL names, or its scheme's default (80 for http, else 443); undefined when not a URL. */
export function portOf(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
  } catch {
    return undefined;
  }
}

function ruleOf(inputs: Record<string, any>): ModelRule {
  const peer: ModelRule['peer'] = inputs.referencedSecurityGroupId
    ? { kind: 'security-group', id: inputs.referencedSecurityGroupId }
    : inputs.prefixListId
      ? { kind: 'prefix-list', id: inputs.prefixListId }
      : { kind: 'cidr', cidr: inputs.cidrIpv4 ?? inputs.cidrBlocks?.[0] ?? '' };
  return {
    protocol: String(inputs.ipProtocol ?? inputs.protocol ?? '-1'),
    fromPort: Number(inputs.fromPort ?? 0),
    toPort: Number(inputs.toPort ?? 65535),
    peer,
  };
}

/** Inline rules of an `aws.ec2.SecurityGroup` (the seed's style), one model rule per peer. */
function inlineRules(list: unknown): ModelRule[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((r: Record<string, any>) => {
    const base = {
      protocol: String(r.protocol ?? '-1'),
      fromPort: Number(r.fromPort ?? 0),
      toPort: Number(r.toPort ?? 65535),
    };
    return [
      ...arr(r.cidrBlocks).map((cidr) => ({ ...base, peer: { kind: 'cidr' as const, cidr } })),
      ...arr(r.securityGroups).map((id) => ({ ...base, peer: { kind: 'security-group' as const, id } })),
    ];
  });
}

/** Builds the model from the resources collected under mocks (ids are logical names). */
export function extractModel(resources: DeclaredResource[]): NetworkModel {
  const vpcRes = ofType(resources, 'aws:ec2/vpc:Vpc')[0];
  const associations = new Map(
    ofType(resources, 'aws:ec2/routeTableAssociation:RouteTableAssociation').map((a) => [
      a.inputs.subnetId as string,
      a.inputs.routeTableId as string,
    ]),
  );
  const igws = new Set(ofType(resources, 'aws:ec2/internetGateway:InternetGateway').map((r) => r.name));

  const routeTables: ModelRouteTable[] = ofType(resources, 'aws:ec2/routeTable:RouteTable').map((rt) => ({
    id: rt.name,
    routes: (Array.isArray(rt.inputs.routes) ? rt.inputs.routes : []).map((r: Record<string, any>) => routeOf(r, igws)),
  }));
  for (const r of ofType(resources, 'aws:ec2/route:Route')) {
    routeTables.find((t) => t.id === r.inputs.routeTableId)?.routes.push(routeOf(r.inputs, igws));
  }

  const securityGroups: ModelSecurityGroup[] = ofType(resources, 'aws:ec2/securityGroup:SecurityGroup').map((sg) => ({
    id: sg.name,
    ingress: inlineRules(sg.inputs.ingress),
    egress: inlineRules(sg.inputs.egress),
  }));
  for (const [type, dir] of [
    ['aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', 'ingress'],
    ['aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule', 'egress'],
  ] as const) {
    for (const r of ofType(resources, type))
      securityGroups.find((g) => g.id === r.inputs.securityGroupId)?.[dir].push(ruleOf(r.inputs));
  }
  for (const r of ofType(resources, 'aws:ec2/securityGroupRule:SecurityGroupRule')) {
    const dir = r.inputs.type === 'egress' ? 'egress' : 'ingress';
    const sg = securityGroups.find((g) => g.id === r.inputs.securityGroupId);
    if (!sg) continue;
    const base = {
      protocol: String(r.inputs.protocol),
      fromPort: Number(r.inputs.fromPort),
      toPort: Number(r.inputs.toPort),
    };
    if (r.inputs.sourceSecurityGroupId)
      sg[dir].push({ ...base, peer: { kind: 'security-group', id: r.inputs.sourceSecurityGroupId } });
    for (const cidr of arr(r.inputs.cidrBlocks)) sg[dir].push({ ...base, peer: { kind: 'cidr', cidr } });
  }

  const endpoints = ofType(resources, 'aws:ec2/vpcEndpoint:VpcEndpoint');
  const serviceOf = (e: DeclaredResource) =>
    String(e.inputs.serviceName ?? '')
      .split('.')
      .pop() ?? '';
  const ecs = ofType(resources, 'aws:ecs/service:Service')[0];

  return {
    vpc: vpcRes && {
      id: vpcRes.name,
      cidr: vpcRes.inputs.cidrBlock,
      dnsSupport: vpcRes.inputs.enableDnsSupport !== false,
      dnsHostnames: vpcRes.inputs.enableDnsHostnames === true,
    },
    subnets: ofType(resources, 'aws:ec2/subnet:Subnet').map((s) => ({
      id: s.name,
      cidr: s.inputs.cidrBlock,
      az: s.inputs.availabilityZone ?? '?',
      routeTableId: associations.get(s.name),
    })),
    routeTables,
    natInstances: ofType(resources, 'aws:ec2/instance:Instance').map((i) => ({
      id: i.name,
      networkInterfaceId: i.state.primaryNetworkInterfaceId ?? `${i.name}-eni`,
      subnetId: i.inputs.subnetId,
      sourceDestCheck: i.inputs.sourceDestCheck !== false,
      masquerade: /MASQUERADE/.test(String(i.inputs.userData ?? '')),
      publicIp: i.inputs.associatePublicIpAddress === true || hasEip(resources, i.name),
      elasticIp: hasEip(resources, i.name),
      securityGroupIds: arr(i.inputs.vpcSecurityGroupIds),
    })),
    securityGroups,
    gatewayEndpoints: endpoints
      .filter((e) => e.inputs.vpcEndpointType === 'Gateway')
      .map((e) => ({ id: e.name, service: serviceOf(e), routeTableIds: arr(e.inputs.routeTableIds) })),
    interfaceEndpoints: endpoints
      .filter((e) => e.inputs.vpcEndpointType === 'Interface')
      .map((e) => ({
        id: e.name,
        service: serviceOf(e),
        subnetIds: arr(e.inputs.subnetIds),
        securityGroupIds: arr(e.inputs.securityGroupIds),
        privateDns: e.inputs.privateDnsEnabled === true,
      })),
    efsMountTargets: ofType(resources, 'aws:efs/mountTarget:MountTarget').map((m) => ({
      id: m.name,
      subnetId: m.inputs.subnetId,
      securityGroupIds: arr(m.inputs.securityGroups),
    })),
    chromaService: ecs && {
      subnetIds: arr(ecs.inputs.networkConfiguration?.subnets),
      securityGroupIds: arr(ecs.inputs.networkConfiguration?.securityGroups),
    },
    functions: ofType(resources, 'aws:lambda/function:Function')
      .map((f) => ({
        name: f.name,
        subnetIds: arr(f.inputs.vpcConfig?.subnetIds),
        securityGroupIds: arr(f.inputs.vpcConfig?.securityGroupIds),
        needs: String(f.inputs.tags?.[PATHS_TAG] ?? '')
          .split(' ')
          .filter((p): p is NetworkPath => (NETWORK_PATHS as readonly string[]).includes(p)),
        mountsEfs: Boolean(f.inputs.fileSystemConfig),
        chromaPort: portOf(f.inputs.environment?.variables?.CHROMA_URL),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function hasEip(resources: DeclaredResource[], instance: string): boolean {
  return (
    ofType(resources, 'aws:ec2/eip:Eip').some((e) => e.inputs.instance === instance) ||
    ofType(resources, 'aws:ec2/eipAssociation:EipAssociation').some((e) => e.inputs.instanceId === instance)
  );
}

function routeOf(r: Record<string, any>, igws: Set<string>): ModelRoute {
  const destination = String(r.destinationCidrBlock ?? r.cidrBlock ?? '');
  if (r.gatewayId && (igws.has(r.gatewayId) || String(r.gatewayId).startsWith('igw')))
    return { destination, target: { kind: 'internet-gateway', id: r.gatewayId } };
  if (r.networkInterfaceId) return { destination, target: { kind: 'network-interface', id: r.networkInterfaceId } };
  if (r.natGatewayId) return { destination, target: { kind: 'nat-gateway', id: r.natGatewayId } };
  return {
    destination,
    target: { kind: 'other', id: String(r.gatewayId ?? r.transitGatewayId ?? r.vpcEndpointId ?? '') },
  };
}
