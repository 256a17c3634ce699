/**
 * The monthly fixed cost (and per-receipt cost) of each vector storage mode, from the cost model
 * itself: `packages/infra`'s `cost` command run on the example stack file with only
 * `vectorStorageMode` changed (server with a Fargate Chroma, the one server the stack can price).
 * A child process, because the model runs the Pulumi program under mocks and devkit does not
 * depend on infra.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { round } from './stats.js';

const run = promisify(execFile);

/** The stack file's text with `vectorStorageMode` set to `mode` (and a Fargate Chroma for server). */
export function stackFileFor(example: string, mode: 'efs' | 's3' | 'server'): string {
  const line = /^(\s*)receiptflow:vectorStorageMode:.*$/m;
  const indent = line.exec(example)?.[1];
  if (indent === undefined) throw new Error('the example stack file has no receiptflow:vectorStorageMode line');
  const replacement =
    mode === 'server'
      ? `${indent}receiptflow:vectorStorageMode: server\n${indent}receiptflow:chromaMode: fargate`
      : `${indent}receiptflow:vectorStorageMode: ${mode}`;
  return example.replace(line, replacement);
}

export async function fixedCostByMode(repoRoot: string): Promise<Record<string, number>> {
  const infra = join(repoRoot, 'packages', 'infra');
  const example = await readFile(join(infra, 'Pulumi.dev.yaml'), 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'rf-bench-cost-'));
  const out: Record<string, number> = {};
  try {
    // The three at once: each is ~8 s of tsx start-up and Pulumi mocks, and nothing here is timed
    // (the figures are prices), so running them side by side distorts nothing.
    const modes = ['efs', 's3', 'server'] as const;
    const estimates = await Promise.all(
      modes.map(async (mode) => {
        const file = join(dir, `Pulumi.${mode}.yaml`);
        await writeFile(file, stackFileFor(example, mode));
        const { stdout } = await run(
          join(repoRoot, 'node_modules', '.bin', 'tsx'),
          [join(infra, 'src', 'cli', 'cost.ts'), '--config', file, '--json'],
          { cwd: infra, maxBuffer: 16 * 1024 * 1024 },
        );
        return JSON.parse(stdout) as { fixedMonthlyUsd: number; perReceiptUsd: number };
      }),
    );
    // Keys in the same order as before (efs, s3, server).
    modes.forEach((mode, i) => {
      out[`${mode}.fixed_usd_per_month`] = round(estimates[i]!.fixedMonthlyUsd, 2);
      out[`${mode}.usd_per_1000_receipts`] = round(estimates[i]!.perReceiptUsd * 1000, 4);
    });
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
