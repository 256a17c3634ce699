/**
 * `pnpm --filter @receiptflow/infra run doctor [--stack dev] [--config FILE] [--json]`
 *
 * Runs the Pulumi program under mocks with the stack's config, extracts the network and checks
 * every path each VPC function needs. Prints the findings; exits 1 when there is any.
 */
import { ReceiptflowError } from '@receiptflow/core';
import { collectStack } from '../doctor/collect.js';
import { diagnose, formatFinding } from '../doctor/diagnose.js';
import { extractModel } from '../doctor/model.js';
import { argValue, loadStackFileConfig } from './stack-file.js';

async function main(argv: string[]): Promise<number> {
  const stack = argValue(argv, '--stack') ?? 'dev';
  const { config, file } = loadStackFileConfig({ stack, file: argValue(argv, '--config') });
  const { resources } = await collectStack(config, stack);
  const model = extractModel(resources);
  const findings = diagnose(model);
  if (argv.includes('--json')) {
    console.log(JSON.stringify(findings, null, 2));
    return findings.length > 0 ? 1 : 0;
  }
  console.log(`receiptflow network doctor — stack ${stack} (${file})`);
  for (const fn of model.functions) {
    const where = fn.subnetIds.length > 0 ? `subnets ${fn.subnetIds.join(', ')}` : 'outside the VPC';
    const bad = new Set(findings.filter((f) => f.function === fn.name).map((f) => f.path));
    const paths = fn.subnetIds.length > 0 ? fn.needs.map((p) => `${p} ${bad.has(p) ? '✗' : '✓'}`).join('  ') : '(no VPC paths to check)';
    console.log(`  ${fn.name.padEnd(20)} ${where.padEnd(30)} ${paths}`);
  }
  if (findings.length === 0) {
    console.log('\nEvery path is open.');
    return 0;
  }
  console.log(`\n${findings.length} broken path${findings.length === 1 ? '' : 's'}:`);
  for (const f of findings) console.log(`  - ${formatFinding(f)}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ReceiptflowError ? err.message : err);
    process.exit(2);
  },
);
