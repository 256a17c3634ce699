/**
 * Local playground for the OCR worker (see docs/ocr-worker.md):
 *
 *   pnpm exec tsx packages/devkit/scripts/dev-emulators.ts [--port 4566] [--receipts 3]
 *
 * Starts dynalite + fauxqs behind one endpoint, creates the table, queues (with DLQs) and buckets,
 * submits synthetic receipts, prints the seed's `receipt-ocr` command to run against them, and then
 * prints a status line whenever job states or queue depths change. Ctrl-C stops everything.
 */
import { parseArgs } from 'node:util';
import type { JobStatus } from '@receiptflow/core';
import { DynamoDbOcrJobStore } from '@receiptflow/adapters-aws/dynamodb';
import { SystemClock } from '@receiptflow/adapters-local/clock';
import { SqsQueue } from '@receiptflow/adapters-aws/sqs';
import { startEmulatorStack, submitDemoReceipts } from '../src/dev-stack/index.js';

const args = process.argv.slice(2);
const { values } = parseArgs({
  args: args[0] === '--' ? args.slice(1) : args,
  options: { port: { type: 'string', default: '4566' }, receipts: { type: 'string', default: '3' } },
});
const stack = await startEmulatorStack({ port: Number(values.port) });
const submitted = await submitDemoReceipts(stack, Number(values.receipts));

const quote = (s: string) => (/^[\w:/.@-]+$/.test(s) ? s : `'${s}'`);
const seed = stack.seedCommand();
const env = Object.entries({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', ...seed.env })
  .map(([k, v]) => `${k}=${quote(v)}`)
  .join(' ');
process.stdout.write(
  `Emulators ready at ${stack.endpoint}; submitted ${submitted.length} receipts ` +
    `(jobs ${submitted.map((s) => s.job.job_id.slice(0, 8)).join(', ')}).\n\n` +
    "Run the worker in another terminal (from the repository root), with the seed's flags:\n\n" +
    `  ${env} \\\n  node packages/ocr-mac/bin/receipt-ocr.js ${seed.args.map(quote).join(' ')}\n\n` +
    'Buckets come from each message; Ctrl-C stops the worker after its jobs in flight.\n\n',
);

const jobs = new DynamoDbOcrJobStore(stack.clients.doc, { tableName: stack.tableName, clock: new SystemClock() });
const queues = {
  'ocr-queue': new SqsQueue(stack.clients.sqs, { queueUrl: stack.ocrQueueUrl }),
  'ocr-queue-dlq': new SqsQueue(stack.clients.sqs, { queueUrl: stack.ocrDlqUrl }),
  'ocr-results-queue': new SqsQueue(stack.clients.sqs, { queueUrl: stack.resultsQueueUrl }),
};
const statuses: JobStatus[] = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED'];
let last = '';
const timer = setInterval(() => {
  void (async () => {
    const counts = await Promise.all(statuses.map(async (s) => `${s} ${(await jobs.listJobsByStatus(s)).length}`));
    const depths = await Promise.all(
      Object.entries(queues).map(async ([name, q]) => {
        const { visible, inFlight } = await q.depth();
        return `${name} ${visible}+${inFlight}`;
      }),
    );
    const line = `jobs: ${counts.join(', ')} | queues (visible+in flight): ${depths.join(', ')}`;
    if (line !== last) process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
    last = line;
  })().catch((error: unknown) => process.stderr.write(`status: ${String(error)}\n`));
}, 2000);

process.once('SIGINT', () => {
  clearInterval(timer);
  void stack.stop().then(() => process.exit(0));
});
