import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from './config.js';
import type { StackContext } from './context.js';
import { MissingBundleError } from './errors.js';
import { FUNCTION_NAMES, type FunctionName } from './function-specs.js';
import { createFunctionRole, type PolicyArnInputs } from './iam.js';
import type { Network } from './network.js';
import { VECTOR_INDEX_PREFIX, type FunctionPlan } from './plan.js';
import type { Queues } from './queues.js';
import type { Buckets, FileSystem } from './storage.js';

/** Where a VPC function mounts the EFS access point. */
export const EFS_MOUNT_PATH = '/mnt/vectors';
/** VECTOR_INDEX_DIR in efs mode: the index files under the mount (docs/vector-storage.md). */
export const VECTOR_INDEX_DIR = `${EFS_MOUNT_PATH}/index`;
/** Tag on each function listing the network paths it needs; the doctor reads it. */
export const PATHS_TAG = 'receiptflow:paths';
/** The entities whose stream records the stream processor acts on. */
export const STREAM_ENTITIES = ['COMPACTION_RUN', 'RECEIPT_PLACE', 'RECEIPT'] as const;

/** Default location of the handlers' bundles: packages/handlers/dist. */
export const DEFAULT_DIST_DIR = fileURLToPath(new URL('../../handlers/dist', import.meta.url));

const PLACEHOLDER_SOURCE =
  'export const handler = async () => { throw new Error("placeholder code: build the handlers and deploy again"); };\n';

/**
 * The deployment package of one function: `<dist>/<name>/` as a zip, or a placeholder when
 * `placeholderCode` is set (unit tests, the doctor). A missing bundle fails with the command
 * that builds it.
 */
export function functionCode(
  cfg: Pick<StackConfig, 'placeholderCode' | 'handlersDistDir'>,
  fn: FunctionName,
): pulumi.asset.Archive {
  if (cfg.placeholderCode) {
    return new pulumi.asset.AssetArchive({ 'index.mjs': new pulumi.asset.StringAsset(PLACEHOLDER_SOURCE) });
  }
  const dir = join(cfg.handlersDistDir ?? DEFAULT_DIST_DIR, fn);
  const entry = join(dir, 'index.mjs');
  if (!existsSync(entry)) throw new MissingBundleError(fn, entry);
  return new pulumi.asset.FileArchive(dir);
}

/**
 * Event filter patterns for the stream mapping: a record passes when its new image (INSERT,
 * MODIFY) or its old image (REMOVE) has one of `STREAM_ENTITIES` as `entity`.
 */
export function streamFilterPatterns(): string[] {
  const entity = { entity: { S: [...STREAM_ENTITIES] } };
  return [JSON.stringify({ dynamodb: { NewImage: entity } }), JSON.stringify({ dynamodb: { OldImage: entity } })];
}

/** What the functions are wired to. */
export interface LambdaDeps {
  net: Network;
  table: aws.dynamodb.Table;
  buckets: Buckets;
  queues: Queues;
  fileSystem: FileSystem | undefined;
  /** vectorStorageMode server only. */
  chromaUrl: pulumi.Input<string> | undefined;
}

export interface Lambdas {
  functions: Record<FunctionName, aws.lambda.Function>;
  roles: Record<FunctionName, aws.iam.Role>;
  mappings: aws.lambda.EventSourceMapping[];
  schedules: aws.cloudwatch.EventRule[];
  policyArns: PolicyArnInputs;
}

/** The CloudWatch namespace of the functions' EMF metrics (METRICS_NAMESPACE); the alarms read it. */
export const METRICS_NAMESPACE = 'receiptflow';

/** The deployment contract's environment variables for one function. */
function environment(
  ctx: StackContext,
  plan: FunctionPlan,
  d: LambdaDeps,
): pulumi.Input<Record<string, pulumi.Input<string>>> {
  const { cfg } = ctx;
  // Secrets go only to the functions that use them, and stay encrypted in the state.
  const secretValues = {
    OPENAI_API_KEY: cfg.openaiApiKey,
    GOOGLE_PLACES_API_KEY: cfg.googlePlacesApiKey,
    API_KEY_SHA256: cfg.apiKeySha256,
  };
  const secrets = Object.fromEntries(
    plan.secrets.map((name) => [name, pulumi.secret(secretValues[name as keyof typeof secretValues])]),
  );
  // The authorizer touches no table, bucket or queue: it gets the key hashes and nothing else.
  if (plan.trigger.kind === 'api-authorizer') return { LOG_LEVEL: cfg.logLevel, ...secrets };
  const vars: Record<string, pulumi.Input<string>> = {
    TABLE_NAME: d.table.name,
    RAW_BUCKET: d.buckets.raw.bucket,
    ARTIFACTS_BUCKET: d.buckets.artifacts.bucket,
    VECTORS_BUCKET: d.buckets.vectors.bucket,
    OCR_JOB_QUEUE_URL: d.queues.byKey.ocr.queue.url,
    OCR_RESULTS_QUEUE_URL: d.queues.byKey['ocr-results'].queue.url,
    COMPACTION_QUEUE_URL: d.queues.byKey.compaction.queue.url,
    ...vectorStorageVars(cfg.vectorStorageMode, d.chromaUrl, d.buckets.vectors.bucket),
    EMBEDDING_MODEL: cfg.embeddingModel,
    EMBEDDING_DIMENSIONS: String(cfg.embeddingDimensions),
    LOG_LEVEL: cfg.logLevel,
    METRICS_NAMESPACE,
  };
  // A queue consumer counts a failure on the last receive as a DLQ send (the DlqSends metric).
  // Only the function that calls Places reads it (its cache keys phones by E.164).
  if (cfg.placesPhoneCountry && plan.secrets.includes('GOOGLE_PLACES_API_KEY'))
    vars.PLACES_PHONE_COUNTRY = cfg.placesPhoneCountry;
  // The export function writes its exports under exports/ of the artifacts bucket (the role allows no other prefix).
  if (plan.name === 'receipts-export') vars.EXPORT_BUCKET = d.buckets.artifacts.bucket;
  // The operator routes read and redrive the DLQs; only the owners named are operators (none by
  // default: every caller gets 403).
  if (plan.name === 'pipeline') {
    vars.OCR_DLQ_URL = d.queues.byKey.ocr.dlq.url;
    vars.OCR_RESULTS_DLQ_URL = d.queues.byKey['ocr-results'].dlq.url;
    vars.COMPACTION_DLQ_URL = d.queues.byKey.compaction.dlq.url;
    vars.OPERATOR_OWNERS = cfg.operatorOwners.join(',');
  }
  if (plan.trigger.kind === 'sqs')
    vars.MAX_RECEIVE_COUNT = String(d.queues.byKey[plan.trigger.queue].plan.maxReceiveCount);
  return { ...vars, ...secrets };
}

/** VECTOR_STORAGE_MODE and what the mode needs (the handlers' config validates them at cold start). */
function vectorStorageVars(
  mode: StackContext['cfg']['vectorStorageMode'],
  chromaUrl: pulumi.Input<string> | undefined,
  vectorsBucket: pulumi.Input<string>,
): Record<string, pulumi.Input<string>> {
  if (mode === 'server') return { VECTOR_STORAGE_MODE: 'server', CHROMA_URL: chromaUrl! };
  if (mode === 's3')
    return { VECTOR_STORAGE_MODE: 's3', VECTOR_BUCKET: vectorsBucket, VECTOR_PREFIX: VECTOR_INDEX_PREFIX };
  return { VECTOR_STORAGE_MODE: mode, VECTOR_INDEX_DIR };
}

/**
 * The functions (nodejs22.x, arm64), each with its own log group and role, and their event
 * source mappings, all reporting batch item failures:
 * ocr-results-queue → process-ocr-results, compaction-queue → compaction, and the table stream
 * → stream-processor (filtered, bisect on error, failures to the stream DLQ); plus the
 * EventBridge schedule that runs the sweep.
 */
export function createLambdas(ctx: StackContext, plans: Record<FunctionName, FunctionPlan>, d: LambdaDeps): Lambdas {
  const { cfg } = ctx;
  const policyArns: PolicyArnInputs = {
    logGroupArn: '',
    tableArn: d.table.arn,
    tableStreamArn: d.table.streamArn,
    rawBucketArn: d.buckets.raw.arn,
    artifactsBucketArn: d.buckets.artifacts.arn,
    vectorsBucketArn: d.buckets.vectors.arn,
    ocrQueueArn: d.queues.byKey.ocr.queue.arn,
    ocrResultsQueueArn: d.queues.byKey['ocr-results'].queue.arn,
    compactionQueueArn: d.queues.byKey.compaction.queue.arn,
    ocrDlqArn: d.queues.byKey.ocr.dlq.arn,
    ocrResultsDlqArn: d.queues.byKey['ocr-results'].dlq.arn,
    compactionDlqArn: d.queues.byKey.compaction.dlq.arn,
    streamDlqArn: d.queues.streamDlq.arn,
  };
  const functions = {} as Record<FunctionName, aws.lambda.Function>;
  const roles = {} as Record<FunctionName, aws.iam.Role>;
  for (const fn of FUNCTION_NAMES) {
    const plan = plans[fn];
    const name = `${ctx.prefix}-${fn}`;
    const logGroup = new aws.cloudwatch.LogGroup(`${fn}-logs`, {
      name: `/aws/lambda/${name}`,
      retentionInDays: cfg.logRetentionDays,
      tags: ctx.tags,
    });
    const efs = plan.efs && d.fileSystem ? d.fileSystem : undefined;
    const { role, policy } = createFunctionRole(
      ctx,
      fn,
      {
        ...policyArns,
        logGroupArn: logGroup.arn,
        ...(efs ? { fileSystemArn: efs.fileSystem.arn, accessPointArn: efs.accessPoint.arn } : {}),
      },
      {
        inVpc: plan.inVpc,
        ...(plan.vectorIndexPrefix ? { vectorIndexPrefix: plan.vectorIndexPrefix } : {}),
        ...(plan.vectorSnapshots ? { vectorSnapshots: true } : {}),
      },
    );
    roles[fn] = role;
    functions[fn] = new aws.lambda.Function(
      fn,
      {
        name,
        role: role.arn,
        runtime: 'nodejs22.x',
        handler: 'index.handler',
        architectures: ['arm64'],
        code: functionCode(cfg, fn),
        timeout: plan.timeoutSeconds,
        memorySize: plan.memoryMb,
        ...(plan.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: plan.reservedConcurrency } : {}),
        environment: { variables: environment(ctx, plan, d) },
        loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
        ...(plan.inVpc
          ? {
              vpcConfig: {
                subnetIds: d.net.privateSubnets.map((s) => s.id),
                securityGroupIds: [d.net.lambdaSecurityGroup.id],
              },
            }
          : {}),
        ...(efs ? { fileSystemConfig: { arn: efs.accessPoint.arn, localMountPath: EFS_MOUNT_PATH } } : {}),
        tags: { ...ctx.tags, [PATHS_TAG]: plan.inVpc ? plan.paths.join(' ') : 'none' },
      },
      // The role's policy (ENI rights) and the mount targets must exist before the function.
      { dependsOn: [policy, logGroup, ...(efs ? efs.mountTargets : [])] },
    );
  }

  const mappings: aws.lambda.EventSourceMapping[] = [];
  for (const fn of FUNCTION_NAMES) {
    const trigger = plans[fn].trigger;
    if (trigger.kind === 'sqs') {
      mappings.push(
        new aws.lambda.EventSourceMapping(`${fn}-sqs-mapping`, {
          eventSourceArn: d.queues.byKey[trigger.queue].queue.arn,
          functionName: functions[fn].arn,
          batchSize: trigger.batchSize,
          functionResponseTypes: ['ReportBatchItemFailures'],
          scalingConfig: { maximumConcurrency: trigger.maxConcurrency },
        }),
      );
    } else if (trigger.kind === 'dynamodb-stream') {
      mappings.push(
        new aws.lambda.EventSourceMapping(`${fn}-stream-mapping`, {
          eventSourceArn: d.table.streamArn,
          functionName: functions[fn].arn,
          startingPosition: 'TRIM_HORIZON',
          batchSize: trigger.batchSize,
          maximumBatchingWindowInSeconds: 1,
          parallelizationFactor: cfg.streamParallelizationFactor,
          functionResponseTypes: ['ReportBatchItemFailures'],
          bisectBatchOnFunctionError: true,
          maximumRetryAttempts: 5,
          maximumRecordAgeInSeconds: 86_400,
          destinationConfig: { onFailure: { destinationArn: d.queues.streamDlq.arn } },
          filterCriteria: { filters: streamFilterPatterns().map((pattern) => ({ pattern })) },
        }),
      );
    }
  }
  const schedules: aws.cloudwatch.EventRule[] = [];
  for (const fn of FUNCTION_NAMES) {
    const trigger = plans[fn].trigger;
    if (trigger.kind === 'schedule') schedules.push(createSchedule(ctx, fn, functions[fn], trigger.rateMinutes));
  }
  return { functions, roles, mappings, schedules, policyArns };
}

/** `rate(5 minutes)`; EventBridge wants the singular for 1. */
export function rateExpression(minutes: number): string {
  return `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`;
}

/**
 * An EventBridge rule that invokes `fn` every `rateMinutes`, with the one permission it needs
 * (this rule, this function). A failed run is not retried by Lambda's async retries: the next
 * tick is a retry already, and an overlap would only re-send work twice.
 */
function createSchedule(
  ctx: StackContext,
  fn: FunctionName,
  target: aws.lambda.Function,
  rateMinutes: number,
): aws.cloudwatch.EventRule {
  const rule = new aws.cloudwatch.EventRule(`${fn}-schedule`, {
    name: `${ctx.prefix}-${fn}`,
    description: `receiptflow ${fn}, ${rateExpression(rateMinutes)}`,
    scheduleExpression: rateExpression(rateMinutes),
    tags: ctx.tags,
  });
  new aws.lambda.Permission(`${fn}-schedule-permission`, {
    action: 'lambda:InvokeFunction',
    function: target.name,
    principal: 'events.amazonaws.com',
    sourceArn: rule.arn,
  });
  new aws.cloudwatch.EventTarget(`${fn}-schedule-target`, { rule: rule.name, arn: target.arn });
  new aws.lambda.FunctionEventInvokeConfig(`${fn}-invoke-config`, {
    functionName: target.name,
    maximumRetryAttempts: 0,
  });
  return rule;
}
