import { describe, expect, it } from 'vitest';
import { estimateCost, formatEstimate, s3IndexRequestsPerReceipt } from '../src/cost/estimate.js';
import { PRICES, RECEIPT_USAGE, type ReceiptUsage } from '../src/cost/prices.js';
import type { DeclaredResource } from '../src/doctor/collect.js';

const res = (type: string, name: string, inputs: Record<string, unknown>): DeclaredResource => ({
  type,
  name,
  inputs,
  state: inputs,
});
const endpoint = (service: string, subnets: number) =>
  res('aws:ec2/vpcEndpoint:VpcEndpoint', `${service}-interface`, {
    serviceName: `com.amazonaws.us-east-1.${service}`,
    vpcEndpointType: 'Interface',
    subnetIds: Array.from({ length: subnets }, (_, i) => `private-${i}`),
  });
const nat = (instanceType: string) =>
  res('aws:ec2/instance:Instance', 'nat-instance', {
    instanceType,
    associatePublicIpAddress: true,
    rootBlockDevice: { volumeSize: 8 },
  });

describe('cost model', () => {
  it('prices the seed-like minimum: one t4g.nano NAT, one endpoint in one AZ', () => {
    const e = estimateCost([nat('t4g.nano'), endpoint('logs', 1)], { efsStorageGb: 0 });
    expect(e.fixed.map((l) => [l.item, Number(l.usd.toFixed(2))])).toEqual([
      ['NAT instance t4g.nano', 3.07],
      ['NAT root volume (gp3)', 0.64],
      ['NAT public IPv4 address', 3.65],
      ['logs interface endpoint', 7.3],
    ]);
    expect(e.fixedMonthlyUsd).toBeCloseTo(14.66, 2);
  });

  it('charges interface endpoints per AZ, and EFS, Fargate and alarms when declared', () => {
    const two = estimateCost([endpoint('sqs', 2), endpoint('logs', 2)], { efsStorageGb: 0 });
    const three = estimateCost([endpoint('sqs', 3), endpoint('logs', 3)], { efsStorageGb: 0 });
    expect(two.fixedMonthlyUsd).toBeCloseTo(29.2, 2);
    expect(three.fixedMonthlyUsd).toBeCloseTo(43.8, 2);
    const extras = estimateCost(
      [
        res('aws:efs/fileSystem:FileSystem', 'chroma-efs', {}),
        res('aws:ecs/taskDefinition:TaskDefinition', 'chroma-task', { cpu: '512', memory: '1024' }),
        ...Array.from({ length: 7 }, (_, i) => res('aws:cloudwatch/metricAlarm:MetricAlarm', `a${i}`, {})),
      ],
      { efsStorageGb: 2 },
    );
    expect(extras.fixed.map((l) => Number(l.usd.toFixed(2)))).toEqual([0.6, 14.42, 0.7]);
  });

  it('reports an instance type missing from the price table instead of guessing', () => {
    const e = estimateCost([nat('m7g.large')], { efsStorageGb: 0 });
    expect(e.unpriced).toEqual(['EC2 m7g.large (nat-instance)']);
    expect(e.fixed.some((l) => l.item.startsWith('NAT instance'))).toBe(false);
  });

  it('computes the per-receipt cost from the functions’ memory and the usage table', () => {
    const fn = (name: string, memorySize: number) => res('aws:lambda/function:Function', name, { memorySize });
    const resources = [
      fn('upload', 512),
      fn('process-ocr-results', 1024),
      fn('stream-processor', 256),
      fn('compaction', 2048),
    ];
    const e = estimateCost(resources, { efsStorageGb: 0 });
    const lambda = e.perReceipt.find((l) => l.item === 'Lambda compute (arm64)')!;
    const gbs = 0.5 * 0.3 + 1 * 6 + 0.25 * 0.2 + 2 * 3;
    expect(lambda.usd).toBeCloseTo(gbs * PRICES.lambdaArmGbSecond, 10);
    // Each Places call priced at the SKU its field mask bills at (docs/cost.md#google-places-one-sku-per-call).
    const text = e.perReceipt.find((l) => l.item === 'Google Places text searches (Text Search Pro)')!;
    const phone = e.perReceipt.find((l) => l.item === 'Google Places phone lookups (Text Search Enterprise)')!;
    expect(text.usd).toBeCloseTo((RECEIPT_USAGE.placesTextSearches * PRICES.placesTextSearchProThousand) / 1000, 10);
    expect(phone.usd).toBeCloseTo(
      (RECEIPT_USAGE.placesPhoneLookups * PRICES.placesTextSearchEnterpriseThousand) / 1000,
      10,
    );
    expect(PRICES.placesTextSearchEnterpriseThousand).toBeGreaterThan(PRICES.placesTextSearchProThousand);
    // Places misses dominate: more than half of the variable cost.
    expect((text.usd + phone.usd) / e.perReceiptUsd).toBeGreaterThan(0.5);
    // Doubling compaction's memory raises the compute line.
    const bigger = estimateCost([...resources.slice(0, 3), fn('compaction', 4096)], { efsStorageGb: 0 });
    expect(bigger.perReceiptUsd).toBeGreaterThan(e.perReceiptUsd);
  });

  it('formats a report with totals and the monthly figure', () => {
    const e = estimateCost([nat('t4g.nano'), endpoint('logs', 1)], { efsStorageGb: 0 });
    const text = formatEstimate(e, 1000);
    expect(text).toContain('TOTAL fixed');
    expect(text).toMatch(/\$14\.66/);
    expect(text).toContain(
      `At 1000 receipts/month: $${(e.fixedMonthlyUsd + 1000 * e.perReceiptUsd).toFixed(2)} per month`,
    );
  });

  it('bills the NAT one public address: the Elastic IP replaces the automatic one once associated', () => {
    const eip = res('aws:ec2/eip:Eip', 'nat-eip', { domain: 'vpc' });
    const assoc = res('aws:ec2/eipAssociation:EipAssociation', 'nat-eip-association', {
      allocationId: 'eipalloc-1',
      instanceId: 'nat-instance',
    });
    const withEip = estimateCost([nat('t4g.nano'), eip, assoc], { efsStorageGb: 0 });
    const without = estimateCost([nat('t4g.nano')], { efsStorageGb: 0 });
    expect(withEip.fixed.map((l) => l.item)).toEqual([
      'NAT instance t4g.nano',
      'NAT root volume (gp3)',
      'Elastic IP (NAT egress)',
    ]);
    expect(without.fixed.map((l) => l.item)).toContain('NAT public IPv4 address');
    expect(withEip.fixedMonthlyUsd).toBeCloseTo(without.fixedMonthlyUsd, 6);
  });

  describe("s3 vector storage mode: the index files' S3 requests per receipt", () => {
    const fn = (name: string, mode: string) =>
      res('aws:lambda/function:Function', name, {
        memorySize: 1024,
        environment: { variables: { VECTOR_STORAGE_MODE: mode } },
      });
    const LINE = 'S3 requests on the vector index (s3 mode)';

    it('adds the line only when a function keeps the index in S3', () => {
      const s3 = estimateCost([fn('process-ocr-results', 's3'), fn('compaction', 's3')], { efsStorageGb: 0 });
      const efs = estimateCost([fn('process-ocr-results', 'efs'), fn('compaction', 'efs')], { efsStorageGb: 0 });
      const line = s3.perReceipt.find((l) => l.item === LINE);
      expect(line).toBeDefined();
      expect(efs.perReceipt.map((l) => l.item)).not.toContain(LINE);
      expect(s3.perReceiptUsd - efs.perReceiptUsd).toBeCloseTo(line!.usd, 12);
    });

    it('prices GET/HEAD at the GET price and PUT and LIST at the PUT price', () => {
      const e = estimateCost([fn('compaction', 's3')], { efsStorageGb: 0 });
      const { get, put, list } = s3IndexRequestsPerReceipt();
      expect(PRICES.s3ListThousand).toBe(PRICES.s3PutThousand);
      expect(e.perReceipt.find((l) => l.item === LINE)!.usd).toBeCloseTo(
        (get * PRICES.s3GetThousand + (put + list) * PRICES.s3PutThousand) / 1000,
        12,
      );
      // Compaction's merges write: PUTs are there, and LISTs (the followers' segment listings).
      expect(put).toBeGreaterThan(0);
      expect(list).toBeGreaterThan(0);
    });

    it("sums each event's requests times its rate per receipt", () => {
      const base = RECEIPT_USAGE.vectorIndexS3;
      const withEvents = (events: Partial<Record<keyof typeof base.events, number>>) =>
        ({
          ...RECEIPT_USAGE,
          vectorIndexS3: { ...base, events: { ...base.events, ...events } },
        }) as unknown as ReceiptUsage;
      const none = s3IndexRequestsPerReceipt(withEvents({ merges: 0, warmCatchUps: 0, coldLoads: 0, checkpoints: 0 }));
      expect(none).toEqual({ get: 0, put: 0, list: 0 });
      // One cold load per receipt costs exactly one cold load's requests.
      const cold = s3IndexRequestsPerReceipt(withEvents({ merges: 0, warmCatchUps: 0, coldLoads: 1, checkpoints: 0 }));
      expect(cold).toEqual(base.requests.coldLoad);
      // More cold loads, more GETs, and nothing else changes.
      const more = s3IndexRequestsPerReceipt(withEvents({ coldLoads: base.events.coldLoads + 1 }));
      const now = s3IndexRequestsPerReceipt();
      expect(more.get - now.get).toBeCloseTo(base.requests.coldLoad.get, 9);
      expect(more.put).toBeCloseTo(now.put, 9);
    });
  });
});
