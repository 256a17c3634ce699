import { isInterfacePath } from '../endpoints.js';
import { cidrContains } from '../net-math.js';
import type { NetworkPath } from '../function-specs.js';
import type { ModelFunction, ModelRule, ModelSubnet, NetworkModel } from './model.js';

/**
 * One broken path, in the seed's troubleshooting terms: what is missing, and where.
 * E.g. `process-ocr-results → SQS: missing an SQS interface endpoint ENI in subnet private-1 (us-east-1b)`.
 */
export interface Finding {
  function: string;
  path: NetworkPath | 'placement';
  missing: string;
  where: string;
}

const LABEL: Record<Finding['path'], string> = {
  sqs: 'SQS',
  logs: 'CloudWatch Logs',
  monitoring: 'CloudWatch metrics',
  sns: 'SNS',
  secretsmanager: 'Secrets Manager',
  kms: 'KMS',
  ssm: 'SSM',
  s3: 'S3',
  dynamodb: 'DynamoDB',
  internet: 'internet through the NAT (OpenAI, Google Places, an external Chroma, SQS retries)',
  efs: 'EFS',
  chroma: 'Chroma',
  placement: 'placement',
};

/** "an SQS", "a DynamoDB": the article goes by how the name is read out. */
const withArticle = (label: string) => `${/^(S3|SQS|EFS|SNS|SSM)/.test(label) ? 'an' : 'a'} ${label}`;

/** The finding as one line of text. */
export function formatFinding(f: Finding): string {
  return `${f.function} → ${LABEL[f.path]}: missing ${f.missing} in ${f.where}`;
}

const ANYWHERE = '0.0.0.0/0';

function covers(rule: ModelRule, port: number): boolean {
  if (rule.protocol === '-1' || rule.protocol === 'all') return true;
  return (rule.protocol === 'tcp' || rule.protocol === '6') && rule.fromPort <= port && port <= rule.toPort;
}

/** Does a rule's peer match one of `sgIds`, or a CIDR that contains `cidr`, or (optionally) a prefix list? */
function peerMatches(rule: ModelRule, peer: { sgIds?: string[]; cidr?: string; prefixList?: boolean }): boolean {
  switch (rule.peer.kind) {
    case 'security-group':
      return peer.sgIds?.includes(rule.peer.id) ?? false;
    case 'cidr':
      return peer.cidr !== undefined && cidrContains(rule.peer.cidr, peer.cidr);
    case 'prefix-list':
      return peer.prefixList === true;
  }
}

/**
 * Checks every network path that each VPC function needs (its `needs`), subnet by subnet.
 * Pure: the same model always gives the same findings, in a stable order. An empty list
 * means every path is open.
 */
export function diagnose(model: NetworkModel): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  /** Records that function `fn` misses `missing` (at `where`) on `path`, once. */
  const add = (fn: ModelFunction, path: Finding['path'], missing: string, where: string) => {
    const f: Finding = { function: fn.name, path, missing, where };
    const key = JSON.stringify(f);
    if (!seen.has(key)) {
      seen.add(key);
      findings.push(f);
    }
  };
  const sgs = (ids: string[]) => model.securityGroups.filter((g) => ids.includes(g.id));
  const ingressAllows = (sgIds: string[], port: number, from: { sgIds?: string[]; cidr?: string }) =>
    sgs(sgIds).some((g) => g.ingress.some((r) => covers(r, port) && peerMatches(r, from)));
  const egressAllows = (sgIds: string[], port: number, to: { sgIds?: string[]; cidr?: string; prefixList?: boolean }) =>
    sgs(sgIds).some((g) => g.egress.some((r) => covers(r, port) && peerMatches(r, to)));
  const sgList = (ids: string[]) => ids.join(', ') || '(none)';
  const routeTable = (id: string | undefined) => model.routeTables.find((t) => t.id === id);
  const defaultRoute = (rtId: string | undefined) => routeTable(rtId)?.routes.find((r) => r.destination === ANYWHERE);

  for (const fn of model.functions) {
    const inVpc = fn.subnetIds.length > 0;
    if (!inVpc) {
      if (fn.mountsEfs)
        add(fn, 'efs', 'VPC placement (an EFS mount needs the function in the VPC)', `function ${fn.name}`);
      continue;
    }
    const lambdaSgWhere = `Lambda security group ${sgList(fn.securityGroupIds)}`;
    for (const subnetId of fn.subnetIds) {
      const subnet = model.subnets.find((s) => s.id === subnetId);
      if (!subnet) {
        add(fn, 'placement', 'the subnet', `subnet ${subnetId} (not declared)`);
        continue;
      }
      if (!subnet.routeTableId) {
        add(fn, 'placement', 'a route table association', `subnet ${subnet.id}`);
      }
      for (const path of fn.needs) {
        if (isInterfacePath(path)) {
          checkInterfaceEndpoint(fn, subnet, path);
          continue;
        }
        switch (path) {
          case 's3':
          case 'dynamodb':
            checkGatewayEndpoint(fn, subnet, path);
            break;
          case 'internet':
            checkInternet(fn, subnet);
            break;
          case 'efs':
            checkEfs(fn, subnet);
            break;
          case 'chroma':
            checkChroma(fn, subnet);
            break;
        }
      }
    }

    function checkInterfaceEndpoint(f: ModelFunction, subnet: ModelSubnet, path: NetworkPath) {
      const label = LABEL[path];
      const ep = model.interfaceEndpoints.find((e) => e.service === path);
      if (!ep) {
        add(f, path, `${withArticle(label)} interface endpoint`, `VPC ${model.vpc?.id ?? '?'}`);
        return;
      }
      if (!ep.subnetIds.includes(subnet.id)) {
        add(f, path, `${withArticle(label)} interface endpoint ENI`, `subnet ${subnet.id} (${subnet.az})`);
      }
      if (!ep.privateDns) add(f, path, `private DNS on the ${label} interface endpoint`, `endpoint ${ep.id}`);
      if (model.vpc && (!model.vpc.dnsSupport || !model.vpc.dnsHostnames)) {
        add(f, path, 'DNS support and DNS hostnames (private DNS needs both)', `VPC ${model.vpc.id}`);
      }
      if (!ingressAllows(ep.securityGroupIds, 443, { sgIds: f.securityGroupIds, cidr: subnet.cidr })) {
        add(
          f,
          path,
          'inbound tcp 443 from the Lambda security group',
          `endpoint security group ${sgList(ep.securityGroupIds)}`,
        );
      }
      if (!egressAllows(f.securityGroupIds, 443, { sgIds: ep.securityGroupIds, cidr: subnet.cidr })) {
        add(f, path, `outbound tcp 443 to the ${label} endpoint`, lambdaSgWhere);
      }
    }

    function checkGatewayEndpoint(f: ModelFunction, subnet: ModelSubnet, path: 's3' | 'dynamodb') {
      const label = LABEL[path];
      if (
        subnet.routeTableId &&
        !model.gatewayEndpoints.some((e) => e.service === path && e.routeTableIds.includes(subnet.routeTableId!))
      ) {
        add(f, path, `${withArticle(label)} gateway endpoint on the route table`, `route table ${subnet.routeTableId}`);
      }
      if (!egressAllows(f.securityGroupIds, 443, { cidr: ANYWHERE, prefixList: true })) {
        add(f, path, `outbound tcp 443 to the ${label} prefix list`, lambdaSgWhere);
      }
    }

    function checkInternet(f: ModelFunction, subnet: ModelSubnet) {
      const path = 'internet';
      const ports = [443];
      if (f.needs.includes('chroma') && !model.chromaService && f.chromaPort !== undefined && f.chromaPort !== 443)
        ports.push(f.chromaPort);
      for (const port of ports) {
        if (!egressAllows(f.securityGroupIds, port, { cidr: ANYWHERE })) {
          add(f, path, `outbound tcp ${port} to 0.0.0.0/0`, lambdaSgWhere);
        }
      }
      if (!subnet.routeTableId) return;
      const route = defaultRoute(subnet.routeTableId);
      if (!route) {
        add(f, path, 'a 0.0.0.0/0 route to the NAT instance', `route table ${subnet.routeTableId}`);
        return;
      }
      if (route.target.kind === 'internet-gateway') {
        add(
          f,
          path,
          'a private subnet (its 0.0.0.0/0 route goes to the internet gateway, and Lambda ENIs get no public IP)',
          `subnet ${subnet.id}`,
        );
        return;
      }
      if (route.target.kind === 'nat-gateway') return;
      const nat = model.natInstances.find((n) => n.networkInterfaceId === route.target.id);
      if (route.target.kind !== 'network-interface' || !nat) {
        add(f, path, 'the NAT instance behind the 0.0.0.0/0 route', `route table ${subnet.routeTableId}`);
        return;
      }
      const where = `NAT instance ${nat.id}`;
      if (nat.sourceDestCheck) add(f, path, 'source/dest check disabled', where);
      if (!nat.masquerade) add(f, path, 'an iptables MASQUERADE rule in user data', where);
      if (!nat.publicIp) add(f, path, 'a public IP address', where);
      else if (!nat.elasticIp) {
        add(
          f,
          path,
          'an Elastic IP (a replaced instance gets a new address, and an IP-restricted Places key stops working)',
          where,
        );
      }
      const natSubnet = model.subnets.find((s) => s.id === nat.subnetId);
      if (defaultRoute(natSubnet?.routeTableId)?.target.kind !== 'internet-gateway') {
        add(
          f,
          path,
          'a 0.0.0.0/0 route to the internet gateway',
          `route table ${natSubnet?.routeTableId ?? '(none)'} of NAT subnet ${nat.subnetId}`,
        );
      }
      const natSgWhere = `NAT security group ${sgList(nat.securityGroupIds)}`;
      for (const port of ports) {
        if (!ingressAllows(nat.securityGroupIds, port, { sgIds: f.securityGroupIds, cidr: subnet.cidr })) {
          add(f, path, `inbound tcp ${port} from subnet ${subnet.id} (${subnet.cidr})`, natSgWhere);
        }
        if (!egressAllows(nat.securityGroupIds, port, { cidr: ANYWHERE })) {
          add(f, path, `outbound tcp ${port} to 0.0.0.0/0`, natSgWhere);
        }
      }
    }

    function checkEfs(f: ModelFunction, subnet: ModelSubnet) {
      const path = 'efs';
      const inAz = model.efsMountTargets.filter(
        (m) => model.subnets.find((s) => s.id === m.subnetId)?.az === subnet.az,
      );
      const target = inAz.find((m) => m.subnetId === subnet.id) ?? inAz[0];
      if (!target) {
        add(f, path, 'an EFS mount target', `${subnet.az} (subnet ${subnet.id})`);
        return;
      }
      if (!ingressAllows(target.securityGroupIds, 2049, { sgIds: f.securityGroupIds, cidr: subnet.cidr })) {
        add(
          f,
          path,
          'inbound tcp 2049 (NFS) from the Lambda security group',
          `EFS security group ${sgList(target.securityGroupIds)}`,
        );
      }
      const targetCidr = model.subnets.find((s) => s.id === target.subnetId)?.cidr;
      if (
        !egressAllows(f.securityGroupIds, 2049, {
          sgIds: target.securityGroupIds,
          ...(targetCidr ? { cidr: targetCidr } : {}),
        })
      ) {
        add(f, path, 'outbound tcp 2049 (NFS) to the EFS mount targets', lambdaSgWhere);
      }
    }

    function checkChroma(f: ModelFunction, subnet: ModelSubnet) {
      const svc = model.chromaService;
      if (!svc) return; // an external Chroma is reached through the internet path
      const port = f.chromaPort ?? 8000;
      if (!ingressAllows(svc.securityGroupIds, port, { sgIds: f.securityGroupIds, cidr: subnet.cidr })) {
        add(
          f,
          'chroma',
          `inbound tcp ${port} from the Lambda security group`,
          `Chroma security group ${sgList(svc.securityGroupIds)}`,
        );
      }
      if (!egressAllows(f.securityGroupIds, port, { sgIds: svc.securityGroupIds })) {
        add(f, 'chroma', `outbound tcp ${port} to the Chroma tasks`, lambdaSgWhere);
      }
    }
  }
  return findings;
}
