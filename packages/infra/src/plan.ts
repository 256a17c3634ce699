import type { StackConfig } from './config.js';
import { overridesFor } from './config.js';
import { awsPathsOf } from './endpoints.js';
import {
  FUNCTION_NAMES,
  FUNCTION_SPECS,
  type FunctionName,
  type FunctionSpec,
  type NetworkPath,
  type Trigger,
} from './function-specs.js';

/** vectorStorageMode s3: where the index files live in the vectors bucket (`<prefix>/lines`, `<prefix>/words`). */
export const VECTOR_INDEX_PREFIX = 'index';
/**
 * The numbers the stack is built from, resolved from config + function specs before any
 * resource exists. Pure, so the lesson-4/17 limits can be checked (and tested) on it.
 */

/** A function with config applied. */
export interface FunctionPlan extends Pick<
  FunctionSpec,
  'name' | 'inVpc' | 'timeoutSeconds' | 'memoryMb' | 'reservedConcurrency' | 'trigger'
> {
  /** Mounts the EFS access point at EFS_MOUNT_PATH (vectorStorageMode efs: the index files). */
  efs: boolean;
  /** vectorStorageMode s3, a function that uses the index: its objects' key prefix in the vectors bucket. */
  vectorIndexPrefix?: string;
  /**
   * vectorStorageMode server, compaction: writes the collections' snapshot files under
   * `snapshots/` in the vectors bucket (and deletes those beyond the kept N).
   */
  vectorSnapshots: boolean;
  /** What it needs from the VPC: the AWS services its code calls (from IAM), then its external destinations. */
  paths: NetworkPath[];
  secrets: readonly string[];
}

/** The three work queues of the deployment contract. */
export type QueueKey = 'ocr' | 'ocr-results' | 'compaction';

export interface QueuePlan {
  key: QueueKey;
  /** Suffix of the physical name: `<prefix>-<baseName>`, its DLQ `<prefix>-<baseName>-dlq`. */
  baseName: 'ocr-queue' | 'ocr-results-queue' | 'compaction-queue';
  visibilityTimeoutSeconds: number;
  messageRetentionSeconds: number;
  maxReceiveCount: number;
  /** What consumes it: a Lambda (with its timeout) or the off-AWS OCR worker. */
  consumer: { kind: 'lambda'; fn: FunctionName; timeoutSeconds: number } | { kind: 'worker'; timeoutSeconds: number };
}

/** AWS's advice for SQS-triggered Lambdas (docs/lessons.md#lesson-17-timeouts-that-did-not-fit): visibility ≥ 6 × the function timeout. */
export const VISIBILITY_FACTOR = 6;
/** docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached: a DLQ threshold below 5 sends messages there on a few throttled polls. */
export const MIN_MAX_RECEIVE_COUNT = 5;
/** SQS caps the visibility timeout at 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/** The port the vector store listens on, from its URL (or 8000 for self-hosted Fargate). */
export function chromaPort(cfg: StackConfig): number {
  if (cfg.vectorStorageMode !== 'server' || cfg.chromaMode === 'fargate' || !cfg.chromaUrl) return 8000;
  const url = new URL(cfg.chromaUrl);
  if (url.port) return Number(url.port);
  return url.protocol === 'http:' ? 80 : 443;
}

export function planFunctions(cfg: StackConfig): Record<FunctionName, FunctionPlan> {
  const out = {} as Record<FunctionName, FunctionPlan>;
  for (const name of FUNCTION_NAMES) {
    const spec = FUNCTION_SPECS[name];
    const o = overridesFor(cfg, name);
    // efs mode: every function that uses the vector index mounts it (compaction writes, the
    // results step reads). Other modes mount nothing: no Lambda code reads EFS there.
    const usesVectors = spec.external.includes('chroma');
    const efs = spec.inVpc && usesVectors && cfg.vectorStorageMode === 'efs';
    const external = cfg.vectorStorageMode === 'server' ? spec.external : spec.external.filter((p) => p !== 'chroma');
    // Only a function in the VPC needs paths; one outside uses Lambda's own network.
    // Once each: the AWS calls of NAT_SERVICES and OpenAI may both need the NAT (`internet`).
    const paths: NetworkPath[] = spec.inVpc
      ? [...new Set([...awsPathsOf(name, { inVpc: true, efs }), ...external])]
      : [];
    if (efs) paths.push('efs');
    // An external Chroma is reached over the internet, i.e. through the NAT instance.
    if (paths.includes('chroma') && cfg.chromaMode === 'external' && !paths.includes('internet'))
      paths.push('internet');
    const trigger: Trigger =
      spec.trigger.kind === 'sqs'
        ? { ...spec.trigger, maxConcurrency: o.maxConcurrency ?? spec.trigger.maxConcurrency }
        : spec.trigger;
    out[name] = {
      name,
      inVpc: spec.inVpc,
      timeoutSeconds: o.timeoutSeconds ?? spec.timeoutSeconds,
      memoryMb: o.memoryMb ?? spec.memoryMb,
      reservedConcurrency: o.reservedConcurrency ?? spec.reservedConcurrency,
      trigger,
      efs,
      vectorSnapshots: name === 'compaction' && cfg.vectorStorageMode === 'server',
      ...(usesVectors && cfg.vectorStorageMode === 's3' ? { vectorIndexPrefix: VECTOR_INDEX_PREFIX } : {}),
      paths,
      secrets: spec.secrets,
    };
  }
  return out;
}

export function planQueues(cfg: StackConfig, fns: Record<FunctionName, FunctionPlan>): QueuePlan[] {
  const forConsumer = (timeoutSeconds: number) => ({
    visibilityTimeoutSeconds: Math.min(VISIBILITY_FACTOR * timeoutSeconds, MAX_VISIBILITY_SECONDS),
    messageRetentionSeconds: cfg.messageRetentionSeconds,
    maxReceiveCount: cfg.maxReceiveCount,
  });
  const results = fns['process-ocr-results'];
  const compaction = fns.compaction;
  return [
    {
      key: 'ocr',
      baseName: 'ocr-queue',
      ...forConsumer(cfg.ocrWorkerTimeoutSeconds),
      consumer: { kind: 'worker', timeoutSeconds: cfg.ocrWorkerTimeoutSeconds },
    },
    {
      key: 'ocr-results',
      baseName: 'ocr-results-queue',
      ...forConsumer(results.timeoutSeconds),
      consumer: { kind: 'lambda', fn: results.name, timeoutSeconds: results.timeoutSeconds },
    },
    {
      key: 'compaction',
      baseName: 'compaction-queue',
      ...forConsumer(compaction.timeoutSeconds),
      consumer: { kind: 'lambda', fn: compaction.name, timeoutSeconds: compaction.timeoutSeconds },
    },
  ];
}

/** The inputs of `checkLimits`, as they appear on the built resources. */
export interface LimitsInput {
  queues: {
    name: string;
    visibilityTimeoutSeconds: number;
    messageRetentionSeconds: number;
    maxReceiveCount: number;
    consumerTimeoutSeconds: number;
  }[];
  mappings: { functionName: string; maxConcurrency: number | undefined; reservedConcurrency: number | undefined }[];
}

/**
 * docs/lessons.md#lesson-4-a-dlq-threshold-that-could-never-be-reached and docs/lessons.md#lesson-17-timeouts-that-did-not-fit as checks. Returns one sentence per violation, naming the queue or function:
 * - maxReceiveCount ≥ 5, and retention / visibility > maxReceiveCount (the DLQ is reachable);
 * - visibility ≥ 6 × the consumer's timeout;
 * - reserved concurrency ≥ the event source's maximum concurrency (throttled polls count as receives).
 */
export function checkLimits(input: LimitsInput): string[] {
  const problems: string[] = [];
  for (const q of input.queues) {
    if (q.maxReceiveCount < MIN_MAX_RECEIVE_COUNT) {
      problems.push(
        `${q.name}: maxReceiveCount ${q.maxReceiveCount} is below ${MIN_MAX_RECEIVE_COUNT}; a few throttled polls would dead-letter a good message`,
      );
    }
    const receivesWithinRetention = Math.floor(q.messageRetentionSeconds / q.visibilityTimeoutSeconds);
    if (receivesWithinRetention <= q.maxReceiveCount) {
      problems.push(
        `${q.name}: maxReceiveCount ${q.maxReceiveCount} cannot be reached within retention ` +
          `(${q.messageRetentionSeconds} s / visibility ${q.visibilityTimeoutSeconds} s allows ${receivesWithinRetention} receives); a failing message would expire instead of reaching the DLQ`,
      );
    }
    if (q.visibilityTimeoutSeconds < VISIBILITY_FACTOR * q.consumerTimeoutSeconds) {
      problems.push(
        `${q.name}: visibility timeout ${q.visibilityTimeoutSeconds} s is below ${VISIBILITY_FACTOR} × the consumer's timeout (${q.consumerTimeoutSeconds} s)`,
      );
    }
  }
  for (const m of input.mappings) {
    if (m.maxConcurrency === undefined) continue;
    if (m.reservedConcurrency === undefined || m.reservedConcurrency < m.maxConcurrency) {
      problems.push(
        `${m.functionName}: reserved concurrency ${m.reservedConcurrency ?? 'unset'} is below the event source's maximum concurrency ${m.maxConcurrency}; throttled polls would count as receives`,
      );
    }
  }
  return problems;
}

/** `checkLimits` over a plan, before any resource is declared. */
export function limitsOfPlan(queues: QueuePlan[], fns: Record<FunctionName, FunctionPlan>): LimitsInput {
  return {
    queues: queues.map((q) => ({
      name: q.baseName,
      visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
      messageRetentionSeconds: q.messageRetentionSeconds,
      maxReceiveCount: q.maxReceiveCount,
      consumerTimeoutSeconds: q.consumer.timeoutSeconds,
    })),
    mappings: Object.values(fns)
      .filter((f) => f.trigger.kind === 'sqs')
      .map((f) => ({
        functionName: f.name,
        maxConcurrency: f.trigger.kind === 'sqs' ? f.trigger.maxConcurrency : undefined,
        reservedConcurrency: f.reservedConcurrency,
      })),
  };
}
