import type * as pulumi from '@pulumi/pulumi';
import { createAlarms } from './alarms.js';
import { createApi } from './api.js';
import { createChromaSecurityGroup, createChromaService } from './chroma.js';
import type { StackConfig } from './config.js';
import { makeContext } from './context.js';
import { InfraConfigError } from './errors.js';
import { createOcrWorkerPolicy } from './iam.js';
import { createLambdas } from './lambdas.js';
import { interfaceEndpointServices } from './endpoints.js';
import { createNetwork } from './network.js';
import { checkLimits, chromaPort, limitsOfPlan, planFunctions, planQueues } from './plan.js';
import { createQueues } from './queues.js';
import { createBuckets, createFileSystem, type EfsClient } from './storage.js';
import { createTable } from './table.js';

/** The stack's exported outputs. */
export interface StackOutputs {
  apiUrl: pulumi.Output<string>;
  tableName: pulumi.Output<string>;
  rawBucket: pulumi.Output<string>;
  artifactsBucket: pulumi.Output<string>;
  vectorsBucket: pulumi.Output<string>;
  ocrQueueUrl: pulumi.Output<string>;
  ocrResultsQueueUrl: pulumi.Output<string>;
  compactionQueueUrl: pulumi.Output<string>;
  /** The Chroma server's URL (vectorStorageMode server only). */
  chromaUrl: pulumi.Output<string> | string | undefined;
  vectorStorageMode: StackConfig['vectorStorageMode'];
  ocrWorkerPolicyArn: pulumi.Output<string>;
  natInstanceId: pulumi.Output<string>;
  /** The NAT's Elastic IP: the one source address of OpenAI and Places calls. */
  natPublicIp: pulumi.Output<string>;
}

/**
 * Composes the modules into the receiptflow stack. Checks the lesson-4/17 limits on the plan
 * first, so a bad combination of timeouts and thresholds fails before any resource is declared.
 */
export function createStack(cfg: StackConfig, stackName: string): StackOutputs {
  const ctx = makeContext(cfg, stackName);
  const fns = planFunctions(cfg);
  const queuePlans = planQueues(cfg, fns);
  const problems = checkLimits(limitsOfPlan(queuePlans, fns));
  if (problems.length > 0) {
    throw new InfraConfigError(
      `Queue and concurrency limits violated (receiptflow:functions, maxReceiveCount, messageRetentionSeconds, ocrWorkerTimeoutSeconds):\n  ${problems.join('\n  ')}`,
    );
  }

  const port = chromaPort(cfg);
  const server = cfg.vectorStorageMode === 'server';
  const net = createNetwork(ctx, {
    extraInternetPorts: server && cfg.chromaMode === 'external' ? [port] : [],
    interfaceServices: interfaceEndpointServices(Object.values(fns)),
  });
  const chromaSg = server && cfg.chromaMode === 'fargate' ? createChromaSecurityGroup(ctx, net) : undefined;

  const efsClients: EfsClient[] = [];
  if (Object.values(fns).some((f) => f.efs))
    efsClients.push({ name: 'lambda', securityGroup: net.lambdaSecurityGroup });
  if (chromaSg) efsClients.push({ name: 'chroma', securityGroup: chromaSg });
  const fileSystem = efsClients.length > 0 ? createFileSystem(ctx, net, efsClients) : undefined;
  const chroma = chromaSg && fileSystem ? createChromaService(ctx, net, chromaSg, fileSystem) : undefined;
  const chromaUrl = chroma ? chroma.url : server ? cfg.chromaUrl! : undefined;

  const buckets = createBuckets(ctx);
  const table = createTable(ctx);
  const queues = createQueues(ctx, queuePlans);
  const lambdas = createLambdas(ctx, fns, { net, table, buckets, queues, fileSystem, chromaUrl });
  const api = createApi(ctx, lambdas.functions);
  createAlarms(ctx, queues, lambdas.functions, fns);
  const workerPolicy = createOcrWorkerPolicy(ctx, lambdas.policyArns);

  return {
    apiUrl: api.url,
    tableName: table.name,
    rawBucket: buckets.raw.bucket,
    artifactsBucket: buckets.artifacts.bucket,
    vectorsBucket: buckets.vectors.bucket,
    ocrQueueUrl: queues.byKey.ocr.queue.url,
    ocrResultsQueueUrl: queues.byKey['ocr-results'].queue.url,
    compactionQueueUrl: queues.byKey.compaction.queue.url,
    chromaUrl,
    vectorStorageMode: cfg.vectorStorageMode,
    ocrWorkerPolicyArn: workerPolicy.arn,
    natInstanceId: net.natInstance.id,
    natPublicIp: net.natEip.publicIp,
  };
}
