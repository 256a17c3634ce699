import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes a bench report as JSON to `file` (`--out`, or a `--scale` run's default), creating its
 * folder. Written to a temporary name and renamed, so a reader (or a run killed mid-write) never
 * sees half a report: a `--scale` run rewrites the file after every mode.
 *
 * @example
 * await writeReport('.tmp/bench/p7-1m-none-int8.json', { p7: { none: { build_s: 2100 } }, complete: false });
 */
export async function writeReport(file: string, report: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(report, null, 2)}\n`);
  await rename(temp, file);
}
