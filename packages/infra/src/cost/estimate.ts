import { ofType, type DeclaredResource } from '../doctor/collect.js';
import { HOURS_PER_MONTH, PRICES, RECEIPT_USAGE, type PriceTable, type ReceiptUsage } from './prices.js';

/** One line of the estimate. */
export interface CostLine {
  item: string;
  /** How the amount was computed, e.g. `4 endpoint-AZs × $0.01/h × 730 h`. */
  basis: string;
  usd: number;
}

export interface CostEstimate {
  /** What the stack costs per month with no traffic. */
  fixed: CostLine[];
  fixedMonthlyUsd: number;
  /** What each receipt adds. */
  perReceipt: CostLine[];
  perReceiptUsd: number;
  /** Items whose price is not in the table (reported, not guessed). */
  unpriced: string[];
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const sum = (lines: CostLine[]) => lines.reduce((acc, l) => acc + l.usd, 0);

/**
 * Prices the declared resources (as collected under mocks) with `prices`, and one receipt's
 * usage with `usage` and the functions' declared memory. Pure.
 */
export function estimateCost(
  resources: DeclaredResource[],
  opts: { efsStorageGb: number },
  prices: PriceTable = PRICES,
  usage: ReceiptUsage = RECEIPT_USAGE,
): CostEstimate {
  const fixed: CostLine[] = [];
  const unpriced: string[] = [];
  const H = HOURS_PER_MONTH;

  for (const nat of ofType(resources, 'aws:ec2/instance:Instance')) {
    const type = String(nat.inputs.instanceType);
    const hourly = prices.ec2Hourly[type];
    if (hourly === undefined) unpriced.push(`EC2 ${type} (${nat.name})`);
    else fixed.push({ item: `NAT instance ${type}`, basis: `$${hourly}/h × ${H} h`, usd: hourly * H });
    const gb = Number(nat.inputs.rootBlockDevice?.volumeSize ?? 8);
    fixed.push({
      item: 'NAT root volume (gp3)',
      basis: `${gb} GB × $${prices.ebsGp3GbMonth}/GB-month`,
      usd: gb * prices.ebsGp3GbMonth,
    });
    // An associated Elastic IP replaces the automatic address (AWS releases it), so the
    // instance's own public IP is billed only without one.
    const hasEip = ofType(resources, 'aws:ec2/eipAssociation:EipAssociation').some(
      (a) => a.inputs.instanceId === nat.name,
    );
    if (nat.inputs.associatePublicIpAddress === true && !hasEip) {
      fixed.push({
        item: 'NAT public IPv4 address',
        basis: `$${prices.publicIpv4Hourly}/h × ${H} h`,
        usd: prices.publicIpv4Hourly * H,
      });
    }
  }
  const eips = ofType(resources, 'aws:ec2/eip:Eip').length;
  if (eips > 0) {
    fixed.push({
      item: 'Elastic IP (NAT egress)',
      basis: `${eips} × $${prices.publicIpv4Hourly}/h × ${H} h`,
      usd: eips * prices.publicIpv4Hourly * H,
    });
  }

  const interfaceEndpoints = ofType(resources, 'aws:ec2/vpcEndpoint:VpcEndpoint').filter(
    (e) => e.inputs.vpcEndpointType === 'Interface',
  );
  for (const ep of interfaceEndpoints) {
    const service = String(ep.inputs.serviceName).split('.').pop();
    const azs = (ep.inputs.subnetIds as string[] | undefined)?.length ?? 0;
    fixed.push({
      item: `${service} interface endpoint`,
      basis: `${azs} AZ × $${prices.interfaceEndpointAzHourly}/h × ${H} h`,
      usd: azs * prices.interfaceEndpointAzHourly * H,
    });
  }
  const gateways = ofType(resources, 'aws:ec2/vpcEndpoint:VpcEndpoint').length - interfaceEndpoints.length;
  if (gateways > 0) fixed.push({ item: 'S3 + DynamoDB gateway endpoints', basis: 'free', usd: 0 });

  if (ofType(resources, 'aws:efs/fileSystem:FileSystem').length > 0) {
    fixed.push({
      item: 'EFS storage (elastic throughput: no fixed throughput charge)',
      basis: `${opts.efsStorageGb} GB × $${prices.efsStandardGbMonth}/GB-month`,
      usd: opts.efsStorageGb * prices.efsStandardGbMonth,
    });
  }
  for (const task of ofType(resources, 'aws:ecs/taskDefinition:TaskDefinition')) {
    const vcpu = Number(task.inputs.cpu) / 1024;
    const gb = Number(task.inputs.memory) / 1024;
    fixed.push({
      item: 'Chroma on Fargate (ARM64, 1 task)',
      basis: `${vcpu} vCPU × $${prices.fargateArmVcpuHourly}/h + ${gb} GB × $${prices.fargateArmGbHourly}/h, × ${H} h`,
      usd: (vcpu * prices.fargateArmVcpuHourly + gb * prices.fargateArmGbHourly) * H,
    });
  }
  const alarms = ofType(resources, 'aws:cloudwatch/metricAlarm:MetricAlarm').length;
  if (alarms > 0)
    fixed.push({
      item: 'CloudWatch alarms',
      basis: `${alarms} × $${prices.alarmMonth}/month`,
      usd: alarms * prices.alarmMonth,
    });

  // --- per receipt -------------------------------------------------------------------------
  const perReceipt: CostLine[] = [];
  const memoryGb = (name: string) => {
    const fn = ofType(resources, 'aws:lambda/function:Function').find((f) => f.name === name);
    return Number(fn?.inputs.memorySize ?? 128) / 1024;
  };
  let gbSeconds = 0;
  let invocations = 0;
  for (const [fn, seconds] of Object.entries(usage.lambdaSeconds)) {
    gbSeconds += memoryGb(fn) * seconds;
    invocations += usage.lambdaInvocations[fn as keyof ReceiptUsage['lambdaInvocations']];
  }
  const M = 1_000_000;
  perReceipt.push(
    {
      item: 'Lambda compute (arm64)',
      basis: `${round(gbSeconds, 2)} GB-s × $${prices.lambdaArmGbSecond}`,
      usd: gbSeconds * prices.lambdaArmGbSecond,
    },
    {
      item: 'Lambda requests',
      basis: `${invocations} × $${prices.lambdaRequestMillion}/M`,
      usd: (invocations * prices.lambdaRequestMillion) / M,
    },
    {
      item: 'HTTP API requests',
      basis: `${usage.apiRequests} × $${prices.httpApiMillion}/M`,
      usd: (usage.apiRequests * prices.httpApiMillion) / M,
    },
    {
      item: 'SQS requests',
      basis: `${usage.sqsRequests} × $${prices.sqsRequestMillion}/M`,
      usd: (usage.sqsRequests * prices.sqsRequestMillion) / M,
    },
    {
      item: 'DynamoDB on-demand',
      basis: `${usage.dynamoWriteUnits} WRU × $${prices.dynamoWriteMillion}/M + ${usage.dynamoReadUnits} RRU × $${prices.dynamoReadMillion}/M`,
      usd: (usage.dynamoWriteUnits * prices.dynamoWriteMillion + usage.dynamoReadUnits * prices.dynamoReadMillion) / M,
    },
    {
      item: 'S3 requests',
      basis: `${usage.s3Puts} PUT × $${prices.s3PutThousand}/1000 + ${usage.s3Gets} GET × $${prices.s3GetThousand}/1000`,
      usd: (usage.s3Puts * prices.s3PutThousand + usage.s3Gets * prices.s3GetThousand) / 1000,
    },
    {
      item: 'OpenAI embeddings',
      basis: `${usage.embeddingTokens} tokens × $${prices.openAiEmbeddingMillionTokens}/M`,
      usd: (usage.embeddingTokens * prices.openAiEmbeddingMillionTokens) / M,
    },
    {
      item: 'Google Places text searches (Text Search Pro)',
      basis: `${usage.placesTextSearches} × $${prices.placesTextSearchProThousand}/1000`,
      usd: (usage.placesTextSearches * prices.placesTextSearchProThousand) / 1000,
    },
    {
      item: 'Google Places phone lookups (Text Search Enterprise)',
      basis: `${usage.placesPhoneLookups} × $${prices.placesTextSearchEnterpriseThousand}/1000`,
      usd: (usage.placesPhoneLookups * prices.placesTextSearchEnterpriseThousand) / 1000,
    },
    {
      item: 'CloudWatch Logs ingestion',
      basis: `${usage.logsGb} GB × $${prices.logsIngestGb}/GB`,
      usd: usage.logsGb * prices.logsIngestGb,
    },
  );
  if (interfaceEndpoints.length > 0) {
    perReceipt.push({
      item: 'Interface endpoint data',
      basis: `${usage.endpointGb} GB × $${prices.interfaceEndpointGb}/GB`,
      usd: usage.endpointGb * prices.interfaceEndpointGb,
    });
  }
  if (usesS3VectorIndex(resources)) {
    const { get, put, list } = s3IndexRequestsPerReceipt(usage);
    perReceipt.push({
      item: 'S3 requests on the vector index (s3 mode)',
      basis: `${round(get, 2)} GET/HEAD × $${prices.s3GetThousand}/1000 + ${round(put, 2)} PUT × $${prices.s3PutThousand}/1000 + ${round(list, 2)} LIST × $${prices.s3ListThousand}/1000`,
      usd: (get * prices.s3GetThousand + put * prices.s3PutThousand + list * prices.s3ListThousand) / 1000,
    });
  }
  if (ofType(resources, 'aws:efs/fileSystem:FileSystem').length > 0) {
    perReceipt.push({
      item: 'EFS elastic throughput',
      basis: `${usage.efsReadGb} GB read × $${prices.efsElasticReadGb} + ${usage.efsWriteGb} GB written × $${prices.efsElasticWriteGb}`,
      usd: usage.efsReadGb * prices.efsElasticReadGb + usage.efsWriteGb * prices.efsElasticWriteGb,
    });
  }
  perReceipt.push({
    item: 'Data out through the NAT',
    basis: `${usage.natOutGb} GB × $${prices.dataTransferOutGb}/GB`,
    usd: usage.natOutGb * prices.dataTransferOutGb,
  });

  return { fixed, fixedMonthlyUsd: sum(fixed), perReceipt, perReceiptUsd: sum(perReceipt), unpriced };
}

/** Whether a declared function keeps the vector index in S3 (`VECTOR_STORAGE_MODE=s3`). */
function usesS3VectorIndex(resources: DeclaredResource[]): boolean {
  return ofType(resources, 'aws:lambda/function:Function').some(
    (f) =>
      (f.inputs.environment as { variables?: Record<string, unknown> } | undefined)?.variables?.VECTOR_STORAGE_MODE ===
      's3',
  );
}

/** S3 requests of the index per receipt in s3 mode: each event's requests × its rate per receipt. */
export function s3IndexRequestsPerReceipt(usage: ReceiptUsage = RECEIPT_USAGE): {
  get: number;
  put: number;
  list: number;
} {
  const { events, requests } = usage.vectorIndexS3;
  const perEvent: [number, { get: number; put: number; list: number }][] = [
    [events.merges, requests.merge],
    [events.warmCatchUps, requests.warmCatchUp],
    [events.coldLoads, requests.coldLoad],
    [events.checkpoints, requests.checkpoint],
  ];
  const total = { get: 0, put: 0, list: 0 };
  for (const [rate, r] of perEvent) {
    total.get += rate * r.get;
    total.put += rate * r.put;
    total.list += rate * r.list;
  }
  return total;
}

/** The estimate as a text report; `receiptsPerMonth` adds a monthly total. */
export function formatEstimate(e: CostEstimate, receiptsPerMonth: number): string {
  const usd = (n: number, digits = 2) => `$${n.toFixed(digits)}`;
  const lines = ['Fixed monthly cost (no traffic):'];
  for (const l of e.fixed) lines.push(`  ${l.item.padEnd(58)} ${usd(l.usd).padStart(9)}   ${l.basis}`);
  lines.push(`  ${'TOTAL fixed'.padEnd(58)} ${usd(e.fixedMonthlyUsd).padStart(9)}`);
  lines.push('', 'Variable cost per receipt:');
  for (const l of e.perReceipt) lines.push(`  ${l.item.padEnd(58)} ${usd(l.usd, 6).padStart(11)}   ${l.basis}`);
  lines.push(`  ${'TOTAL per receipt'.padEnd(58)} ${usd(e.perReceiptUsd, 6).padStart(11)}`);
  lines.push(
    '',
    `At ${receiptsPerMonth} receipts/month: ${usd(e.fixedMonthlyUsd + receiptsPerMonth * e.perReceiptUsd)} per month`,
  );
  if (e.unpriced.length > 0) lines.push('', `Not in the price table (excluded): ${e.unpriced.join(', ')}`);
  return lines.join('\n');
}
