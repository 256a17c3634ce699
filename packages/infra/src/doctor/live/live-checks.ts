import { isInterfacePath, type EndpointInput } from '../../endpoints.js';
import { HOURS_PER_MONTH, PRICES } from '../../cost/prices.js';
import { checkLimits, type QueuePlan } from '../../plan.js';
import { diagnose, formatFinding, type Finding } from '../diagnose.js';
import type { LiveStack } from './live-stack.js';

/**
 * The seed's troubleshooting list, in order, as checks on a deployed stack (docs/deploy.md,
 * "When it does not work"). Each failure says what is wrong and the command that fixes it.
 */
export const LIVE_CHECKS = [
  { id: 'functions', question: 'Are the functions deployed, each VPC function in the private subnets?' },
  { id: 'nat-running', question: 'Is the NAT instance running?' },
  { id: 'nat-source-dest', question: 'Is its source/dest check off?' },
  { id: 'nat-elastic-ip', question: 'Does it egress from its Elastic IP (the address a Places key is restricted to)?' },
  {
    id: 'private-routes',
    question: "Do the Lambda subnets' route tables send 0.0.0.0/0 to the NAT, and is the route active?",
  },
  {
    id: 'vpc-endpoints',
    question:
      'Does every AWS API a VPC function calls have its endpoint: available, private DNS on, an ENI in each Lambda subnet?',
  },
  { id: 'unneeded-endpoints', question: 'Is an interface endpoint paid for that no VPC function calls?' },
  {
    id: 'security-groups',
    question: 'Do the security groups allow 443 out of the Lambdas, into the NAT and the endpoints, and NFS to EFS?',
  },
  { id: 'efs-mount-targets', question: 'Is there an available EFS mount target in every AZ of the Lambda subnets?' },
  {
    id: 'event-source-mappings',
    question: 'Is each SQS event source mapping enabled, on the right queue, reporting batch item failures?',
  },
  {
    id: 'redrive-policies',
    question: 'Does each queue dead-letter to its DLQ, and can a failing message reach it before it expires?',
  },
] as const;
export type LiveCheckId = (typeof LIVE_CHECKS)[number]['id'];

/** One failed check: what is wrong, where, and the fix. */
export interface LiveFailure {
  check: LiveCheckId;
  subject: string;
  problem: string;
  fix: string;
}

/** What the stack should be: the plan the program deploys (paths derived from IAM, queues). */
export interface LiveExpectations {
  functions: readonly EndpointInput[];
  queues: readonly QueuePlan[];
}

/**
 * Runs every check of `LIVE_CHECKS` on a stack read by `AwsLiveStackReader`. The network paths
 * are the offline doctor's (`diagnose`), on the live model with each function's needs taken from
 * the plan, i.e. derived the same way. Pure: the same input always gives the same failures.
 */
export function runLiveChecks(live: LiveStack, expected: LiveExpectations): LiveFailure[] {
  const failures: LiveFailure[] = [];
  const fail = (check: LiveCheckId, subject: string, problem: string, fix: string) =>
    failures.push({ check, subject, problem, fix });

  // --- functions --------------------------------------------------------------------------
  for (const name of live.missingFunctions)
    fail(
      'functions',
      `function ${name}`,
      'is not deployed',
      '`pulumi up` (build the handlers first: `pnpm --filter @receiptflow/handlers build`)',
    );
  const model = structuredClone(live.model);
  for (const f of model.functions) {
    const plan = expected.functions.find((p) => p.name === f.name);
    if (!plan) continue;
    f.needs = plan.inVpc ? [...plan.paths] : [];
    if (plan.inVpc && f.subnetIds.length === 0) {
      fail(
        'functions',
        `function ${f.name}`,
        'runs outside the VPC, but the plan puts it in the private subnets',
        '`pulumi up` restores its VPC config',
      );
    }
  }

  // --- NAT instance -------------------------------------------------------------------------
  const nat = live.natInstances[0];
  const natModel = live.model.natInstances[0];
  if (!nat) {
    fail(
      'nat-running',
      'NAT instance',
      'does not exist (or was terminated)',
      '`pulumi up` creates it again, and its Elastic IP follows',
    );
  } else {
    if (nat.state !== 'running') {
      fail(
        'nat-running',
        `NAT instance ${nat.id}`,
        `is ${nat.state}: the VPC functions cannot reach OpenAI, Places or an external Chroma, and their short SQS retries fall back to the visibility timeout`,
        `aws ec2 start-instances --instance-ids ${nat.id}`,
      );
    }
    if (nat.sourceDestCheck) {
      fail(
        'nat-source-dest',
        `NAT instance ${nat.id}`,
        'has source/dest check on, so it drops forwarded packets',
        `aws ec2 modify-instance-attribute --instance-id ${nat.id} --no-source-dest-check`,
      );
    }
    if (!nat.elasticIp) {
      fail(
        'nat-elastic-ip',
        `NAT instance ${nat.id}`,
        `has no Elastic IP${nat.publicIp ? ` (egress from ${nat.publicIp}, which changes if the instance is replaced)` : ''}`,
        '`pulumi up` (the stack declares nat-eip and its association), then allow-list `pulumi stack output natPublicIp` on the Places key',
      );
    }
  }

  // --- routes: blackholes (missing routes come from diagnose below) --------------------------
  const lambdaSubnets = new Set(model.functions.flatMap((f) => f.subnetIds));
  const lambdaTables = new Set(model.subnets.filter((s) => lambdaSubnets.has(s.id)).map((s) => s.routeTableId));
  for (const r of live.routes) {
    if (r.destination === '0.0.0.0/0' && r.state !== 'active' && lambdaTables.has(r.routeTableId)) {
      fail(
        'private-routes',
        `route table ${r.routeTableId}`,
        `its 0.0.0.0/0 route to ${r.target} is ${r.state}`,
        natModel
          ? `aws ec2 replace-route --route-table-id ${r.routeTableId} --destination-cidr-block 0.0.0.0/0 --network-interface-id ${natModel.networkInterfaceId}`
          : '`pulumi up` (the NAT instance is gone; it recreates it and the route)',
      );
    }
  }

  // --- the offline doctor's paths, on the live model -----------------------------------------
  for (const finding of dropNatDuplicates(diagnose(model))) {
    const check = checkOf(finding);
    const [subject, problem] = formatFinding(finding).split(/: (.*)/s) as [string, string];
    fail(check, subject, problem, fixOf(finding, live));
  }

  // --- endpoints: state, and those nobody needs -----------------------------------------------
  const needed = new Set(expected.functions.filter((f) => f.inVpc).flatMap((f) => f.paths));
  for (const e of live.endpoints) {
    if (e.type === 'Interface' && !needed.has(e.service as never)) {
      const azs = live.model.interfaceEndpoints.find((x) => x.id === e.id)?.subnetIds.length ?? 1;
      const monthly = azs * PRICES.interfaceEndpointAzHourly * HOURS_PER_MONTH;
      fail(
        'unneeded-endpoints',
        `endpoint ${e.id} (${e.service})`,
        `no VPC function needs it; it costs $${monthly.toFixed(2)}/month (${azs} AZ). ` +
          (e.service === 'sqs'
            ? 'The SQS event source mappings poll from the Lambda service, outside the VPC, and the consumers’ own ' +
              'SQS calls (short retries) go through the NAT instance by design.'
            : '') +
          (e.service === 'logs' ? 'The Lambda runtime ships logs through the Lambda service, not the VPC.' : ''),
        `aws ec2 delete-vpc-endpoints --vpc-endpoint-ids ${e.id}  (or \`pulumi up\`, which no longer declares it)`,
      );
    } else if (e.state !== 'available') {
      fail(
        'vpc-endpoints',
        `endpoint ${e.id} (${e.service})`,
        `is ${e.state}, not available`,
        `aws ec2 describe-vpc-endpoints --vpc-endpoint-ids ${e.id}; \`pulumi up\` replaces a failed endpoint`,
      );
    }
  }

  // --- EFS mount targets: state (a missing AZ comes from diagnose) ----------------------------
  for (const t of live.mountTargets) {
    if (t.state !== 'available') {
      fail(
        'efs-mount-targets',
        `mount target ${t.id} (${t.az})`,
        `is ${t.state}, not available`,
        `aws efs describe-mount-targets --mount-target-id ${t.id}; \`pulumi up\` recreates a deleted one`,
      );
    }
  }

  // --- event source mappings ------------------------------------------------------------------
  const queueArn = (base: string) => live.queues.find((q) => q.name === base)?.attributes.QueueArn;
  for (const fn of expected.functions) {
    if (fn.trigger.kind !== 'sqs') continue;
    const base = `${fn.trigger.queue}-queue`;
    const arn = queueArn(base);
    const mine = live.mappings.filter((m) => m.functionName === fn.name && m.eventSourceArn.includes(':sqs:'));
    const right = mine.find((m) => arn !== undefined && m.eventSourceArn === arn);
    for (const m of mine.filter((x) => x !== right)) {
      fail(
        'event-source-mappings',
        `${fn.name} mapping ${m.uuid}`,
        `polls ${m.eventSourceArn}, not ${arn ?? base}`,
        `aws lambda delete-event-source-mapping --uuid ${m.uuid}, then \`pulumi up\``,
      );
    }
    if (!right) {
      fail(
        'event-source-mappings',
        fn.name,
        `has no event source mapping on ${base}: nothing consumes it`,
        '`pulumi up` creates the mapping',
      );
      continue;
    }
    if (right.state !== 'Enabled') {
      fail(
        'event-source-mappings',
        `${fn.name} mapping ${right.uuid}`,
        `is ${right.state}: ${base} is not being consumed`,
        `aws lambda update-event-source-mapping --uuid ${right.uuid} --enabled`,
      );
    }
    if (!right.functionResponseTypes.includes('ReportBatchItemFailures')) {
      fail(
        'event-source-mappings',
        `${fn.name} mapping ${right.uuid}`,
        'does not report batch item failures: one failed message retries the whole batch',
        `aws lambda update-event-source-mapping --uuid ${right.uuid} --function-response-types ReportBatchItemFailures`,
      );
    }
  }

  // --- queues: redrive to the DLQ, reachable within retention (docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached) ----------------------
  for (const plan of expected.queues) {
    const q = live.queues.find((x) => x.name === plan.baseName);
    if (!q?.url) {
      fail('redrive-policies', plan.baseName, 'does not exist', '`pulumi up`');
      continue;
    }
    const arn = q.attributes.QueueArn ?? '';
    const redrive = parseRedrive(q.attributes.RedrivePolicy);
    const setRedrive = (count: number) =>
      `aws sqs set-queue-attributes --queue-url ${q.url} --attributes '{"RedrivePolicy":"{\\"deadLetterTargetArn\\":\\"${arn}-dlq\\",\\"maxReceiveCount\\":\\"${count}\\"}"}'`;
    if (!redrive) {
      fail(
        'redrive-policies',
        q.physicalName,
        'has no redrive policy: a poison message is retried until it expires',
        setRedrive(plan.maxReceiveCount),
      );
      continue;
    }
    if (redrive.deadLetterTargetArn !== `${arn}-dlq`) {
      fail(
        'redrive-policies',
        q.physicalName,
        `dead-letters to ${redrive.deadLetterTargetArn}, not ${arn}-dlq`,
        setRedrive(redrive.maxReceiveCount),
      );
    }
    const consumer =
      plan.consumer.kind === 'lambda'
        ? live.functions.find((f) => f.name === (plan.consumer as { fn: string }).fn)
        : undefined;
    const problems = checkLimits({
      queues: [
        {
          name: q.physicalName,
          visibilityTimeoutSeconds: Number(q.attributes.VisibilityTimeout ?? plan.visibilityTimeoutSeconds),
          messageRetentionSeconds: Number(q.attributes.MessageRetentionPeriod ?? plan.messageRetentionSeconds),
          maxReceiveCount: redrive.maxReceiveCount,
          consumerTimeoutSeconds: consumer?.timeoutSeconds ?? plan.consumer.timeoutSeconds,
        },
      ],
      mappings: [],
    });
    for (const p of problems)
      fail(
        'redrive-policies',
        q.physicalName,
        p.replace(`${q.physicalName}: `, ''),
        '`pulumi up` with the stack config (it refuses limits that break docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached)',
      );
  }

  const order = LIVE_CHECKS.map((c) => c.id as LiveCheckId);
  return failures.sort((a, b) => order.indexOf(a.check) - order.indexOf(b.check));
}

function parseRedrive(text: string | undefined): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
  if (!text) return undefined;
  try {
    const p = JSON.parse(text) as { deadLetterTargetArn?: string; maxReceiveCount?: string | number };
    return { deadLetterTargetArn: p.deadLetterTargetArn ?? '', maxReceiveCount: Number(p.maxReceiveCount ?? 0) };
  } catch {
    return { deadLetterTargetArn: '(unreadable RedrivePolicy)', maxReceiveCount: 0 };
  }
}

/** The NAT's source/dest check and Elastic IP have checks of their own. */
function dropNatDuplicates(findings: Finding[]): Finding[] {
  return findings.filter((f) => !(f.where.startsWith('NAT instance') && /source\/dest|Elastic IP/.test(f.missing)));
}

function checkOf(f: Finding): LiveCheckId {
  if (f.path === 'placement') return 'functions';
  if (/security group/.test(f.where)) return 'security-groups';
  if (f.path === 'efs') return 'efs-mount-targets';
  if (f.path === 's3' || f.path === 'dynamodb' || isInterfacePath(f.path)) return 'vpc-endpoints';
  if (f.where.startsWith('NAT instance')) return 'nat-running';
  return 'private-routes';
}

/** The command that fixes one path finding, with the ids filled in where the finding names them. */
function fixOf(f: Finding, live: LiveStack): string {
  const sg = /security group (sg-[0-9a-z]+)/.exec(f.where)?.[1] ?? 'SG';
  const port = /tcp (\d+)/.exec(f.missing)?.[1];
  const rt = /route table (rtb-[0-9a-z]+)/.exec(f.where)?.[1];
  const endpoint = /endpoint (vpce-[0-9a-z]+)/.exec(f.where)?.[1];
  const natEni = live.model.natInstances[0]?.networkInterfaceId;
  if (/private DNS/.test(f.missing) && endpoint)
    return `aws ec2 modify-vpc-endpoint --vpc-endpoint-id ${endpoint} --private-dns-enabled`;
  if (/DNS support and DNS hostnames/.test(f.missing)) {
    const vpc = live.model.vpc?.id ?? 'VPC';
    return `aws ec2 modify-vpc-attribute --vpc-id ${vpc} --enable-dns-support; aws ec2 modify-vpc-attribute --vpc-id ${vpc} --enable-dns-hostnames`;
  }
  if (/route to the NAT instance/.test(f.missing) && rt) {
    return natEni
      ? `aws ec2 create-route --route-table-id ${rt} --destination-cidr-block 0.0.0.0/0 --network-interface-id ${natEni}`
      : '`pulumi up` (the NAT instance is gone; it recreates it and the route)';
  }
  if (/security group/.test(f.where) && port) {
    const inbound = f.missing.startsWith('inbound');
    const peer = /Lambda security group|from the Lambda/.test(f.missing)
      ? `--source-group ${live.model.functions.find((x) => x.name === f.function)?.securityGroupIds[0] ?? 'LAMBDA_SG'}`
      : `--cidr ${/\(([\d./]+)\)/.exec(f.missing)?.[1] ?? '0.0.0.0/0'}`;
    return inbound
      ? `aws ec2 authorize-security-group-ingress --group-id ${sg} --protocol tcp --port ${port} ${peer}`
      : `aws ec2 authorize-security-group-egress --group-id ${sg} --ip-permissions IpProtocol=tcp,FromPort=${port},ToPort=${port},IpRanges=[{CidrIp=0.0.0.0/0}]  (or \`pulumi up\`)`;
  }
  if (f.path === 'efs' && /mount target/.test(f.missing)) {
    const subnet = /subnet (subnet-[0-9a-z]+)/.exec(f.where)?.[1] ?? 'SUBNET';
    const fs = live.mountTargets[0]?.fileSystemId ?? 'FS_ID';
    return `aws efs create-mount-target --file-system-id ${fs} --subnet-id ${subnet} --security-groups EFS_SG  (or \`pulumi up\`)`;
  }
  return '`pulumi up` restores what the program declares';
}
