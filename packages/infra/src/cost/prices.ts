/**
 * The price table behind `pnpm --filter @receiptflow/infra run cost`: us-east-1, on-demand,
 * USD, free tiers ignored, as published by AWS, OpenAI and Google in late 2025. docs/cost.md
 * repeats it with sources; update both together. A month is 730 hours.
 */
export const HOURS_PER_MONTH = 730;

export const PRICES = {
  /** EC2 on-demand, per hour, by instance type (the NAT instance). */
  ec2Hourly: {
    't4g.nano': 0.0042,
    't4g.micro': 0.0084,
    't4g.small': 0.0168,
    't3.nano': 0.0052,
    't3.micro': 0.0104,
    't3a.nano': 0.0047,
  } as Record<string, number>,
  /** gp3 EBS, per GB-month (the NAT instance's 8 GB root volume). */
  ebsGp3GbMonth: 0.08,
  /** Public IPv4 address, per hour (charged since Feb 2024, attached or not). */
  publicIpv4Hourly: 0.005,
  /** Interface VPC endpoint, per endpoint per AZ per hour. */
  interfaceEndpointAzHourly: 0.01,
  /** Interface endpoint data processed, per GB. */
  interfaceEndpointGb: 0.01,
  /** EFS Standard storage, per GB-month. */
  efsStandardGbMonth: 0.3,
  /** EFS elastic throughput: reads and writes, per GB transferred. */
  efsElasticReadGb: 0.03,
  efsElasticWriteGb: 0.06,
  /** CloudWatch standard-resolution metric alarm, per alarm-month. */
  alarmMonth: 0.1,
  /** Fargate on Graviton (ARM64), per vCPU-hour and per GB-hour. */
  fargateArmVcpuHourly: 0.03238,
  fargateArmGbHourly: 0.00356,
  /** Lambda on arm64, per GB-second, and per million requests. */
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequestMillion: 0.2,
  /** SQS standard queue, per million requests (64 KB chunks). */
  sqsRequestMillion: 0.4,
  /** DynamoDB on-demand, per million write / read request units. */
  dynamoWriteMillion: 0.625,
  dynamoReadMillion: 0.125,
  /** S3 Standard requests, per thousand: PUT, COPY, POST and LIST at one price, GET and HEAD at another. */
  s3PutThousand: 0.005,
  s3ListThousand: 0.005,
  s3GetThousand: 0.0004,
  /** API Gateway HTTP API, per million requests. */
  httpApiMillion: 1.0,
  /** CloudWatch Logs ingestion, per GB. */
  logsIngestGb: 0.5,
  /** Data transfer out to the internet (through the NAT instance), per GB. */
  dataTransferOutGb: 0.09,
  /** OpenAI text-embedding-3-small, per million tokens. */
  openAiEmbeddingMillionTokens: 0.02,
  /**
   * Google Places API (New) Text Search, per thousand requests, by the SKU its field mask bills
   * at (0–100k a month): Pro for id + name + address (the resolver's text search), Enterprise
   * once a phone field is asked for (its phone lookup). Essentials (IDs Only) is free.
   */
  placesTextSearchProThousand: 32.0,
  placesTextSearchEnterpriseThousand: 35.0,
} as const;

export type PriceTable = typeof PRICES;

/**
 * What one receipt costs in usage, on average. These are estimates (documented in
 * docs/cost.md), not measurements; the Places cache-miss rate dominates the total.
 */
export const RECEIPT_USAGE = {
  /** POST /upload-receipt plus one GET /upload-status poll. */
  apiRequests: 2,
  /** Seconds of run time per receipt, per function. */
  lambdaSeconds: { upload: 0.3, 'process-ocr-results': 6, 'stream-processor': 0.2, compaction: 3 },
  /** Invocations per receipt, per function (batches amortise the queue consumers). */
  lambdaInvocations: { upload: 2, 'process-ocr-results': 1, 'stream-processor': 0.5, compaction: 0.4 },
  /** Send, receive, delete and visibility calls across the three queues, plus empty polls. */
  sqsRequests: 12,
  /**
   * ~40 lines + ~200 words + receipt, place, job, routing and run rows, GSI writes. The listing
   * (docs/adapters.md#access-patterns) adds ~25: the receipt row grows by its search text
   * (~1.5 KB) and is written to GSI3 on create and commit, and the place write updates the row
   * (GSI3, GSI4 and GSI5); and ~3 reads (the place and the row, read back around the copy).
   */
  dynamoWriteUnits: 295,
  dynamoReadUnits: 33,
  /** Raw image, OCR JSON, two vector deltas; and their reads. */
  s3Puts: 4,
  s3Gets: 5,
  /** Line and word texts sent for embedding. */
  embeddingTokens: 3000,
  /**
   * Text searches (Text Search Pro) per receipt: the share of receipts whose merchant is neither
   * in vector memory nor in the Places cache, one search each.
   */
  placesTextSearches: 0.3,
  /**
   * Phone lookups (Text Search Enterprise) per receipt: made only when no text candidate
   * validates and a phone was printed, 3 per 46 text searches on SROIE dev (0.3 × 3 / 46).
   */
  placesPhoneLookups: 0.02,
  /** Log volume per receipt, GB (≈20 KB). */
  logsGb: 0.00002,
  /** EFS traffic of compaction per receipt, GB (≈1 MB each way). */
  efsReadGb: 0.001,
  efsWriteGb: 0.001,
  /**
   * `vectorStorageMode: s3` only: the S3 requests the index files take. `requests` are per event,
   * as `pnpm bench` counts them (`vector_storage.*`, docs/benchmarks.md): GET includes HEAD; a
   * cold load's count grows with the snapshot (one ranged GET per 8 MiB: 200k vectors ≈ 470 MB
   * ≈ 60 GETs). `events` per receipt are estimates (docs/cost.md#s3-mode-index-requests): each
   * receipt is one merge per collection (an upper bound: a batch shares one fence); each results
   * invocation catches up once per collection directory, reading the receipt's segment; one cold
   * results container per 50 receipts; a checkpoint every 2,000 ops per collection.
   */
  vectorIndexS3: {
    events: { merges: 2, warmCatchUps: 2, coldLoads: 0.02, checkpoints: 0.001 },
    requests: {
      merge: { get: 6, put: 2, list: 4 },
      warmCatchUp: { get: 2, put: 0, list: 2 },
      coldLoad: { get: 60, put: 0, list: 6 },
      checkpoint: { get: 3, put: 6, list: 4 },
    },
  },
  /** SQS and Logs traffic through the interface endpoints per receipt, GB. */
  endpointGb: 0.0001,
  /** OpenAI and Places responses through the NAT, GB. */
  natOutGb: 0.0002,
} as const;

export type ReceiptUsage = typeof RECEIPT_USAGE;
