import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { captureSink } from './support/e2e.js';

const flags = [
  '--ocr-job-queue-url',
  'http://sqs.us-east-1.127.0.0.1:4566/000000000000/ocr-queue',
  '--ocr-results-queue-url',
  'http://sqs.us-east-1.127.0.0.1:4566/000000000000/ocr-results-queue',
  '--dynamo-table-name',
  'receiptflow',
  '--raw-bucket',
  'raw',
  '--region',
  'us-east-1',
];

async function run(argv: string[]) {
  const stdout = captureSink();
  const stderr = captureSink();
  const code = await main(argv, {
    stdout,
    stderr,
    env: {},
    platform: 'linux',
    stdoutIsTty: false,
    signals: new EventEmitter(),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('receipt-ocr main', () => {
  it('exits 2 on a usage error, naming the flag on stderr', async () => {
    const { code, stderr, stdout } = await run([...flags, '--engine', 'easyocr']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^receipt-ocr: --engine must be vision or tesseract/);
    expect(stdout).toBe('');
  });

  it('exits 2 when the flags are missing, naming the first one', async () => {
    const { code, stderr } = await run([]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--ocr-job-queue-url is required/);
  });

  it('exits 2 when --engine vision has no helper, saying how to build it', async () => {
    const { code, stderr } = await run([...flags, '--engine', 'vision', '--vision-helper', '/nonexistent/helper']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--vision-helper: no executable at \/nonexistent\/helper.*swift\/build\.sh/);
  });

  it('prints the usage for --help (after a leading --) and exits 0', async () => {
    const { code, stdout } = await run(['--', '--help']);
    expect(code).toBe(0);
    for (const flag of [
      '--ocr-job-queue-url',
      '--ocr-results-queue-url',
      '--dynamo-table-name',
      '--region',
      '--continuous',
      '--engine',
      '--concurrency',
      '--max-jobs',
      '--endpoint-url',
      '--log-format',
      '--raw-bucket',
      '--artifacts-bucket',
    ]) {
      expect(stdout).toContain(flag);
    }
  });
});
