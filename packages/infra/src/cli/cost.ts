/**
 * `pnpm --filter @receiptflow/infra run cost [--stack dev] [--config FILE] [--receipts N] [--json]`
 *
 * Prices the stack's declared resources (collected under mocks with the stack's config) from
 * the documented price table, plus the variable cost of one receipt.
 */
import { ReceiptflowError, UsageError } from '@receiptflow/core';
import { estimateCost, formatEstimate } from '../cost/estimate.js';
import { collectStack } from '../doctor/collect.js';
import { argValue, loadStackFileConfig } from './stack-file.js';

async function main(argv: string[]): Promise<number> {
  const stack = argValue(argv, '--stack') ?? 'dev';
  const receipts = Number(argValue(argv, '--receipts') ?? 1000);
  if (!Number.isFinite(receipts) || receipts < 0)
    throw new UsageError(`--receipts must be a non-negative number, got ${argValue(argv, '--receipts')}`);
  const { config, file } = loadStackFileConfig({ stack, file: argValue(argv, '--config') });
  const { resources } = await collectStack(config, stack);
  const estimate = estimateCost(resources, { efsStorageGb: config.efsStorageGbEstimate });
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ ...estimate, receiptsPerMonth: receipts }, null, 2));
    return 0;
  }
  console.log(`receiptflow cost estimate — stack ${stack} (${file}); prices: src/cost/prices.ts, docs/cost.md\n`);
  console.log(formatEstimate(estimate, receipts));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ReceiptflowError ? err.message : err);
    process.exit(2);
  },
);
