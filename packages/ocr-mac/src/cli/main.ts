import type { OcrEngine } from '@receiptflow/core';
import { SystemClock } from '@receiptflow/adapters-local/clock';
import { StreamLogger, Worker, type LogSink } from '@receiptflow/worker';
import { UsageError } from '@receiptflow/core';
import { parseCommandLine, USAGE, type CliConfig } from './args.js';
import { createAwsRuntime } from './aws-runtime.js';
import { createEngine } from './create-engine.js';

/** Where signals come from: `process`, or an EventEmitter in tests. */
export interface SignalSource {
  on(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

/** Everything `main` would otherwise take from `process`, so that tests can run it in-process. */
export interface MainOptions {
  stdout?: LogSink;
  stderr?: LogSink;
  env?: Record<string, string | undefined>;
  platform?: string;
  stdoutIsTty?: boolean;
  signals?: SignalSource;
  /** Called on a second SIGINT/SIGTERM, when the user insists. Default: process.exit. */
  forceExit?: (code: number) => void;
  /** Test seam: wraps the OCR engine (for example to make a job slow enough to interrupt). */
  wrapEngine?: (engine: OcrEngine) => OcrEngine;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * `receipt-ocr`: parses the flags, wires the AWS adapters and the engine, runs the worker until
 * the queue is drained, --max-jobs is reached or a signal stops it. Returns the exit status:
 * 0 done, 1 failure, 2 usage error.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let config: CliConfig;
  try {
    const parsed = parseCommandLine(argv, {
      env: options.env ?? process.env,
      platform: options.platform ?? process.platform,
      stdoutIsTty: options.stdoutIsTty ?? process.stdout.isTTY === true,
    });
    if (parsed.help) {
      stdout.write(USAGE);
      return 0;
    }
    config = parsed.config;
  } catch (error) {
    return usage(stderr, error);
  }

  const clock = new SystemClock();
  const logger = new StreamLogger({ format: config.logFormat, sink: stdout, now: () => clock.now() });
  let engine;
  try {
    engine = await createEngine(config);
  } catch (error) {
    return usage(stderr, error);
  }
  const aws = createAwsRuntime(config, clock);
  const worker = new Worker(
    {
      ocrQueue: aws.ocrQueue,
      resultsQueue: aws.resultsQueue,
      jobs: aws.jobs,
      images: aws.images,
      artifacts: aws.artifacts,
      ocr: options.wrapEngine ? options.wrapEngine(engine.engine) : engine.engine,
      clock,
      logger,
    },
    {
      continuous: config.continuous,
      concurrency: config.concurrency,
      maxJobs: config.maxJobs,
      waitSeconds: config.waitSeconds,
      leaseSeconds: config.visibilityTimeoutSeconds,
    },
  );

  const signals = options.signals ?? process;
  const forceExit = options.forceExit ?? ((code: number) => process.exit(code));
  const onSignal = (signal: string) => () => {
    if (worker.stopping) {
      logger.warn('second signal: exiting without waiting for jobs in flight', { signal });
      forceExit(130);
      return;
    }
    logger.info('signal received', { signal });
    worker.stop();
  };
  const listeners = SIGNALS.map((signal) => [signal, onSignal(signal)] as const);
  for (const [signal, listener] of listeners) signals.on(signal, listener);

  try {
    await worker.run();
    return 0;
  } catch (error) {
    logger.error('worker crashed', { error });
    return 1;
  } finally {
    for (const [signal, listener] of listeners) signals.off(signal, listener);
    await engine.close().catch((error: unknown) => logger.warn('could not close the OCR engine', { error }));
    aws.close();
  }
}

function usage(stderr: LogSink, error: unknown): number {
  if (!(error instanceof UsageError)) throw error;
  stderr.write(`receipt-ocr: ${error.message}\nRun receipt-ocr --help for the options.\n`);
  return 2;
}
