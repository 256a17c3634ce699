import { ReceiptflowError } from '@receiptflow/core';

/** The stack config is invalid; the message names each offending `receiptflow:<key>`. */
export class InfraConfigError extends ReceiptflowError {
  readonly code = 'INFRA_CONFIG_INVALID';
}

/** A Lambda bundle that the stack deploys is missing; the message says how to build it. */
export class MissingBundleError extends ReceiptflowError {
  readonly code = 'INFRA_BUNDLE_MISSING';
  constructor(
    readonly functionName: string,
    readonly path: string,
  ) {
    super(
      `Lambda bundle for "${functionName}" not found at ${path}. ` +
        'Run `pnpm --filter @receiptflow/handlers build` first ' +
        '(or set receiptflow:placeholderCode true for a dry run without bundles).',
    );
  }
}
