import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jsonLines, waitFor } from './e2e.js';

/** The `receipt-ocr` bin, as a user runs it. */
export const BIN = fileURLToPath(new URL('../../bin/receipt-ocr.js', import.meta.url));
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };

export interface RunningWorker {
  child: ChildProcess;
  logs(): Array<Record<string, unknown>>;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `script` (the bin, or a test wrapper of it) in a child process with emulator credentials. */
export function spawnWorker(script: string, args: string[], env: Record<string, string> = {}): RunningWorker {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...CREDENTIALS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  void exited.then(({ code }) => {
    if (code !== 0 && code !== null) process.stderr.write(`worker stderr:\n${stderr}\n`);
  });
  return { child, logs: () => jsonLines(stdout), stderr: () => stderr, exited };
}

/** Waits for the worker to log `msg`. */
export const logged = (worker: RunningWorker, msg: string) =>
  waitFor(`log line "${msg}"`, async () => worker.logs().find((l) => l.msg === msg), 30_000);
