import { ReceiptflowError, UsageError } from '@receiptflow/core';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { fixCommand } from './commands/fix.js';
import { listCommand } from './commands/list.js';
import { rmCommand } from './commands/rm.js';
import { showCommand } from './commands/show.js';
import { fsckCommand } from './commands/fsck.js';
import { restoreCommand } from './commands/restore.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { submitCommand } from './commands/submit.js';

export const USAGE = `usage: receipts <command> [options]

  serve   [--port 8787] [--host 127.0.0.1] [--data DIR] [--token T [--owner NAME]] [--places CATALOG]
          upload API + in-process OCR, results, stream and compaction workers (local adapters)
  submit  FILE|DIR... [--url URL] [--token T] [--no-wait] [--timeout SECONDS]
          upload receipts (every image in a folder and its subfolders; duplicates of earlier
          uploads are skipped) to a running server and wait until they are compacted
  status  IMAGE_ID [--url URL] [--token T]
  list    [--merchant PLACE_ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--min AMOUNT] [--max AMOUNT]
          [--text TEXT] [--limit N | --all] [--json] [--url URL] [--token T]
          your receipts, newest first (a table; --json: one JSON object per line)
  show    ID [--json] [--url URL] [--token T]
          one receipt: merchant, fields, items, lines (ID: IMAGE_ID/RECEIPT_ID, or IMAGE_ID for receipt 1)
  fix     ID [--merchant PLACE_ID] [--field NAME=VALUE]... [--item "[QTY x ]DESCRIPTION=AMOUNT"]...
          [--url URL] [--token T]
          correct a receipt; NAME: date, total, subtotal, tax, payment_method; --item lists
          replace the line items (all kept as yours)
  rm      ID [--url URL] [--token T]
          delete a receipt (its vectors too; it does not come back on reprocessing)
  export  --format csv|jsonl [--url URL] [--token T] > FILE
          every receipt, one row each, streamed to stdout
  fsck    [--data DIR] [--repair] [--json]
          check every data file; --repair salvages good records, rebuilds derived data,
          prints what was lost (exit 0 clean, 3 damage found, 4 repaired; stop serve first)
  demo    [--images DIR] [--places CATALOG] [--json] [--verbose]
          synthetic receipts (or a folder of images) through the whole local pipeline
  eval    --dataset DIR --places CATALOG [--json] [--limit N]
          accuracy, Places calls and throughput on a SROIE-layout dataset
  restore (--data DIR | --s3 s3://BUCKET/PREFIX [--region R] [--endpoint URL]) (--list | --snapshot ID)
          list the vector index's snapshots, or make one the live state (serve or compaction stopped)
  restore --chroma URL --bucket VECTORS_BUCKET --table TABLE --collection lines|words
          [--tenant T] [--database D] [--dimensions N] [--region R] [--endpoint S3_URL]
          [--table-endpoint DYNAMODB_URL] (--list | --snapshot ID)
          server mode: load a snapshot file into a fresh Chroma collection and swap it in, under
          the compaction lock (token from CHROMA_AUTH_TOKEN)`;

/** Runs one CLI invocation; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  const [command, ...rest] = args;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`${line}\n`);
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest, err, process.env);
      case 'submit':
        return await submitCommand(rest, out, err);
      case 'status':
        return await statusCommand(rest, out);
      case 'list':
        return await listCommand(rest, out, err);
      case 'show':
        return await showCommand(rest, out);
      case 'fix':
        return await fixCommand(rest, out);
      case 'rm':
        return await rmCommand(rest, out);
      case 'export':
        return await exportCommand(rest);
      case 'demo':
        return await demoCommand(rest, out);
      case 'fsck':
        return await fsckCommand(rest, out, err);
      case 'eval':
        return await evalCommand(rest, out, err);
      case 'restore':
        return await restoreCommand(rest, out);
      case undefined:
      case 'help':
      case '--help':
        out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`receipts: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    const code = error instanceof ReceiptflowError ? ` [${error.code}]` : '';
    err(`receipts: ${error instanceof Error ? error.message : String(error)}${code}`);
    return 1;
  }
}

if (
  import.meta.url === `file://${process.argv[1]}` ||
  process.argv[1]?.endsWith('/bin/receipts.js') ||
  process.argv[1]?.endsWith('cli/main.ts')
) {
  const code = await run(process.argv.slice(2));
  process.exitCode = code;
  // A failed command ends now, without waiting for background work it started: a `serve` that
  // cannot open its data directory had already begun building the console (Vite, seconds, far
  // more on a loaded machine), and would otherwise stay alive, its error printed, until that build
  // ended. The build writes into a temporary folder and renames it, so cutting it short leaves no
  // half build. stderr and stdout are synchronous for files and pipes, so nothing printed is lost.
  if (code !== 0) process.exit(code);
}
