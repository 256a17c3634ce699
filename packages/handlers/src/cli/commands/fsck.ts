import { fsckDataDir, type FsckReport } from '../../local/fsck.js';
import { createLogger } from '../../logging.js';
import { parseFlags, type Print } from '../args.js';

/** Exit codes of `receipts fsck` (docs/operations.md, "fsck and repair"). */
export const FSCK_EXIT = { clean: 0, damageFound: 3, repaired: 4 } as const;

/**
 * `receipts fsck --data DIR [--repair] [--json]`: checks every file under a serve data directory;
 * with --repair salvages the good records, rebuilds what is derived and prints what was lost.
 * Exits 0 when clean, 3 when damage was found (not repaired), 4 when damage was repaired
 * (run it again: 0 means the repair held). Errors (a running serve, no directory) exit 1.
 */
export async function fsckCommand(argv: string[], out: Print, err: Print): Promise<number> {
  const { values } = parseFlags(argv, {
    data: { type: 'string', default: '.data' },
    repair: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const logger = createLogger({ format: 'pretty', level: 'info', write: err });
  const report = await fsckDataDir(values.data, { repair: values.repair, logger });
  if (values.json) out(JSON.stringify(report, null, 2));
  else for (const line of describe(report, values.repair)) out(line);
  if (report.findings.length === 0) return FSCK_EXIT.clean;
  return values.repair ? FSCK_EXIT.repaired : FSCK_EXIT.damageFound;
}

function describe(report: FsckReport, repair: boolean): string[] {
  if (report.findings.length === 0) return [`${report.dataDir}: clean`];
  const lines = [`${report.dataDir}: ${report.findings.length} finding(s)`];
  for (const f of report.findings) {
    const where = f.offset !== undefined ? ` at byte ${f.offset}${f.bytes ? ` (${f.bytes} bytes)` : ''}` : '';
    lines.push(`  ${f.kind.padEnd(15)} ${f.file}${where}: ${f.detail}`);
  }
  if (!repair) {
    lines.push('run again with --repair to salvage good records and rebuild derived data (originals are kept)');
    return lines;
  }
  lines.push(report.lost.length === 0 ? 'lost: nothing' : `lost (${report.lost.length}):`);
  for (const l of report.lost) lines.push(`  ${l}`);
  if (report.rebuilt.length > 0) lines.push(`rebuilt (${report.rebuilt.length}):`);
  for (const r of report.rebuilt) lines.push(`  ${r}`);
  if (report.backupDir) lines.push(`originals moved to ${report.backupDir}`);
  return lines;
}
