import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '@receiptflow/core';

/** Where a command writes its lines: stdout for results, stderr for progress and errors. */
export type Print = (line: string) => void;

/**
 * Parses a command's flags strictly. pnpm 12 passes a literal `--` through to scripts
 * (`pnpm eval -- --json`), so a leading `--` is dropped rather than ending the options.
 */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  allowPositionals = false,
) {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}
