/**
 * `pnpm --filter @receiptflow/infra run doctor [--stack dev] [--config FILE] [--json]`
 * `pnpm --filter @receiptflow/infra run doctor --live [--stack dev] [--region R] [--json]`
 *
 * Offline: runs the Pulumi program under mocks with the stack's config, extracts the network,
 * checks every path each VPC function needs, and explains each endpoint (needed or not, and why).
 * With --live: reads the deployed stack through the AWS SDK (describe/get calls only) and runs the
 * troubleshooting list of docs/deploy.md, printing each failed check with its fix.
 * Exits 1 when anything failed, 2 on a usage or access error.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ReceiptflowError, UsageError } from '@receiptflow/core';
import { makeContext } from '../context.js';
import { explainEndpoints } from '../endpoints.js';
import { FUNCTION_NAMES } from '../function-specs.js';
import { collectStack } from '../doctor/collect.js';
import { diagnose, formatFinding } from '../doctor/diagnose.js';
import { AwsLiveStackReader } from '../doctor/live/aws-live-stack-reader.js';
import { LIVE_CHECKS, runLiveChecks } from '../doctor/live/live-checks.js';
import { extractModel } from '../doctor/model.js';
import { planFunctions, planQueues } from '../plan.js';
import type { StackConfig } from '../config.js';
import { argValue, loadStackFileConfig } from './stack-file.js';

async function main(argv: string[]): Promise<number> {
  const stack = argValue(argv, '--stack') ?? 'dev';
  const { config, file, region } = loadStackFileConfig({ stack, file: argValue(argv, '--config') });
  if (argv.includes('--live'))
    return live(argv, stack, config, argValue(argv, '--region') ?? region ?? process.env.AWS_REGION);
  const { resources } = await collectStack(config, stack);
  const model = extractModel(resources);
  const findings = diagnose(model);
  const endpoints = explainEndpoints(Object.values(planFunctions(config)));
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ findings, endpoints }, null, 2));
    return findings.length > 0 ? 1 : 0;
  }
  console.log(`receiptflow network doctor — stack ${stack} (${file})`);
  for (const fn of model.functions) {
    const where = fn.subnetIds.length > 0 ? `subnets ${fn.subnetIds.join(', ')}` : 'outside the VPC';
    const bad = new Set(findings.filter((f) => f.function === fn.name).map((f) => f.path));
    const paths =
      fn.subnetIds.length > 0
        ? fn.needs.map((p) => `${p} ${bad.has(p) ? '✗' : '✓'}`).join('  ')
        : '(no VPC paths to check)';
    console.log(`  ${fn.name.padEnd(20)} ${where.padEnd(30)} ${paths}`);
  }
  console.log(
    "\nEndpoints, from what each VPC function calls (its IAM policy without the Lambda service's statements):",
  );
  for (const d of endpoints)
    console.log(`  ${d.function.padEnd(20)} ${d.service.padEnd(9)} ${d.verdict.padEnd(10)} ${d.reason}`);
  if (findings.length === 0) {
    console.log('\nEvery path is open.');
    return 0;
  }
  console.log(`\n${findings.length} broken path${findings.length === 1 ? '' : 's'}:`);
  for (const f of findings) console.log(`  - ${formatFinding(f)}`);
  return 1;
}

async function live(argv: string[], stack: string, config: StackConfig, region: string | undefined): Promise<number> {
  if (!region) throw new UsageError('--live needs a region: --region, aws:region in the stack file, or AWS_REGION');
  const clients = {
    ec2: new EC2Client({ region }),
    lambda: new LambdaClient({ region }),
    efs: new EFSClient({ region }),
    sqs: new SQSClient({ region }),
  };
  const fns = planFunctions(config);
  const queues = planQueues(config, fns);
  try {
    const snapshot = await new AwsLiveStackReader(clients).read({
      prefix: makeContext(config, stack).prefix,
      functions: FUNCTION_NAMES,
      queues: queues.map((q) => q.baseName),
    });
    const failures = runLiveChecks(snapshot, { functions: Object.values(fns), queues });
    if (argv.includes('--json')) {
      console.log(JSON.stringify(failures, null, 2));
      return failures.length > 0 ? 1 : 0;
    }
    console.log(`receiptflow doctor --live — stack ${stack}, ${region}`);
    for (const c of LIVE_CHECKS) {
      const mine = failures.filter((f) => f.check === c.id);
      console.log(`  ${mine.length === 0 ? '✓' : '✗'} ${c.question}`);
      for (const f of mine) console.log(`      ${f.subject}: ${f.problem}\n        fix: ${f.fix}`);
    }
    console.log(
      failures.length === 0
        ? '\nEvery check passed.'
        : `\n${failures.length} failed check${failures.length === 1 ? '' : 's'}.`,
    );
    return failures.length > 0 ? 1 : 0;
  } finally {
    for (const c of Object.values(clients)) c.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ReceiptflowError ? err.message : err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
