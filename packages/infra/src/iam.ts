import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.js';
import type { FunctionName } from './function-specs.js';
import { assumeRolePolicy, ocrWorkerStatements, policyStatements, type PolicyArns } from './iam-policies.js';

/** `PolicyArns` whose values are still Pulumi outputs. */
export type PolicyArnInputs = {
  [K in keyof PolicyArns]: PolicyArns[K] extends string ? pulumi.Input<string> : pulumi.Input<string> | undefined;
};

const policyJson = (statements: unknown) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** One role per function with a single inline least-privilege policy (see `iam-policies.ts`). */
export function createFunctionRole(
  ctx: StackContext,
  fn: FunctionName,
  arns: PolicyArnInputs,
  opts: { inVpc: boolean },
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
  const role = new aws.iam.Role(`${fn}-role`, {
    name: `${ctx.prefix}-${fn}`,
    assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com'),
    tags: ctx.tags,
  });
  const policy = new aws.iam.RolePolicy(`${fn}-policy`, {
    role: role.id,
    policy: pulumi.output(arns).apply((a) => policyJson(policyStatements(fn, a as PolicyArns, opts))),
  });
  return { role, policy };
}

/** The managed policy for the off-AWS OCR worker's IAM principal. */
export function createOcrWorkerPolicy(ctx: StackContext, arns: PolicyArnInputs): aws.iam.Policy {
  return new aws.iam.Policy('ocr-worker-policy', {
    name: `${ctx.prefix}-ocr-worker`,
    description: 'Attach to the IAM user or role that runs receipt-ocr',
    policy: pulumi.output(arns).apply((a) => policyJson(ocrWorkerStatements(a as PolicyArns))),
    tags: ctx.tags,
  });
}
