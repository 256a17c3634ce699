import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.js';
import type { FunctionName } from './function-specs.js';
import {
  assumeRolePolicy,
  ocrWorkerStatements,
  policyStatements,
  type PolicyArns,
  type PolicyOptions,
} from './iam-policies.js';

/** `PolicyArns` whose values are still Pulumi outputs. */
export type PolicyArnInputs = {
  [K in keyof PolicyArns]: PolicyArns[K] extends string ? pulumi.Input<string> : pulumi.Input<string> | undefined;
};

/** The JSON of a policy document holding `statements`. */
export const policyJson = (statements: unknown) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** The JSON of a resource policy that refuses `action` on `resource` to any request not made over TLS. */
export function tlsOnlyPolicyJson(action: string, resource: string | string[]): string {
  return policyJson([
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: action,
      Resource: resource,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ]);
}

/** Pulumi's logical names of a role and of its inline policy, and the role's physical name. */
export interface RoleNames {
  role: string;
  policy: string;
  physicalName: string;
}

/**
 * A role that `service` may assume, with a single inline policy of `statements`: the functions'
 * roles and the Chroma task's.
 */
export function createServiceRole(
  ctx: StackContext,
  names: RoleNames,
  service: string,
  statements: pulumi.Output<unknown[]>,
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
  const role = new aws.iam.Role(names.role, {
    name: names.physicalName,
    assumeRolePolicy: assumeRolePolicy(service),
    tags: ctx.tags,
  });
  const policy = new aws.iam.RolePolicy(names.policy, { role: role.id, policy: statements.apply(policyJson) });
  return { role, policy };
}

/** One role per function with a single inline least-privilege policy (see `iam-policies.ts`). */
export function createFunctionRole(
  ctx: StackContext,
  fn: FunctionName,
  arns: PolicyArnInputs,
  opts: PolicyOptions,
): { role: aws.iam.Role; policy: aws.iam.RolePolicy } {
  return createServiceRole(
    ctx,
    { role: `${fn}-role`, policy: `${fn}-policy`, physicalName: `${ctx.prefix}-${fn}` },
    'lambda.amazonaws.com',
    pulumi.output(arns).apply((a) => policyStatements(fn, a as PolicyArns, opts)),
  );
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
