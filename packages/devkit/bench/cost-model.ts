/**
 * P6's cost model: what 1,000 receipts cost in metered services, from counted usage. List
 * prices, us-east-1, USD, free tiers ignored; the same figures as packages/infra/src/cost/prices.ts
 * (docs/benchmarks.md repeats them with their sources).
 */
export const PRICES = {
  /** Google Places API (New) Text Search Pro (the text search's mask: id, name, address), per 1,000 calls. */
  placesPer1000Calls: 32.0,
  /** Text Search Enterprise (the phone lookup's mask adds phone numbers), per 1,000 calls. */
  placesPhoneLookupPer1000Calls: 35.0,
  /** OpenAI text-embedding-3-small, per 1M input tokens. */
  embeddingPerMillionTokens: 0.02,
  /** Lambda on arm64, per GB-second (duration is billed per 1 ms). */
  lambdaGbSecond: 0.0000133334,
  /** Lambda requests, per 1M invocations. */
  lambdaRequestsPerMillion: 0.2,
} as const;

/** One function's share of a receipt: its memory and the time billed for the receipt. */
export interface LambdaUsage {
  name: string;
  memoryMb: number;
  /** Billed duration per receipt, ms. */
  msPerReceipt: number;
  /** Invocations per receipt (1 / batch size for a batching consumer). */
  invocationsPerReceipt: number;
}

export interface UsageCounts {
  receipts: number;
  /** Every Places call, phone lookups included. */
  placesCalls: number;
  /** Of `placesCalls`, the phone lookups (billed at Enterprise); default 0. */
  placesPhoneCalls?: number;
  embeddingTokens: number;
  lambdas: readonly LambdaUsage[];
}

export interface CostPer1000 {
  places_usd: number;
  embeddings_usd: number;
  lambda_usd: number;
  /** GB-seconds per 1,000 receipts, summed over the functions. */
  lambda_gb_seconds: number;
  total_usd: number;
}

/** Cost of 1,000 receipts at the rates the counts imply. */
export function costPer1000(usage: UsageCounts, prices: typeof PRICES = PRICES): CostPer1000 {
  if (!(usage.receipts > 0)) throw new RangeError(`cost per receipt needs at least one receipt, got ${usage.receipts}`);
  const scale = 1000 / usage.receipts;
  const phone = usage.placesPhoneCalls ?? 0;
  const places =
    ((usage.placesCalls - phone) * prices.placesPer1000Calls + phone * prices.placesPhoneLookupPer1000Calls) *
    (scale / 1000);
  const embeddings = usage.embeddingTokens * scale * (prices.embeddingPerMillionTokens / 1_000_000);
  let gbSeconds = 0;
  let requests = 0;
  for (const fn of usage.lambdas) {
    gbSeconds += 1000 * (fn.memoryMb / 1024) * (Math.ceil(fn.msPerReceipt) / 1000);
    requests += 1000 * fn.invocationsPerReceipt;
  }
  const lambda = gbSeconds * prices.lambdaGbSecond + requests * (prices.lambdaRequestsPerMillion / 1_000_000);
  return {
    places_usd: places,
    embeddings_usd: embeddings,
    lambda_usd: lambda,
    lambda_gb_seconds: gbSeconds,
    total_usd: places + embeddings + lambda,
  };
}
