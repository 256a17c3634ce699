/**
 * The Pulumi program's entry point (`Pulumi.yaml` `main`): reads and validates the stack
 * config, composes the stack (`stack.ts`) and exports its outputs.
 */
import * as pulumi from '@pulumi/pulumi';
import { readStackConfig } from './config.js';
import { createStack } from './stack.js';

// isConfigSecret exists at runtime but is missing from the SDK's type declarations.
const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret(key: string): boolean };
const cfg = readStackConfig(runtime.allConfig(), (key) => runtime.isConfigSecret(key));
const outputs = createStack(cfg, pulumi.getStack());

export const {
  apiUrl,
  tableName,
  rawBucket,
  artifactsBucket,
  vectorsBucket,
  ocrQueueUrl,
  ocrResultsQueueUrl,
  compactionQueueUrl,
  chromaUrl,
  vectorStorageMode,
  ocrWorkerPolicyArn,
  natInstanceId,
} = outputs;
