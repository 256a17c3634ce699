import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientWithMiddleware } from '@receiptflow/devkit/faults';

/** One SDK command as a function sent it: which client, which command, and its input. */
export interface SdkCall {
  /** The function whose handler made the call (see {@link SdkCallRecorder.as}). */
  fn: string;
  /** `context.clientName`, e.g. `S3Client`; DocumentClient commands arrive as `DynamoDBClient`. */
  client: string;
  /** `context.commandName`, e.g. `GetObjectCommand`. */
  command: string;
  input: Record<string, unknown>;
}

type Next = (args: { input: Record<string, unknown> }) => Promise<unknown>;

/**
 * Records every command sent through the clients it is attached to, attributed to the function
 * whose handler is running (an AsyncLocalStorage context, so calls from concurrent work stay
 * apart and the test's own setup and assertions, outside any function, are not recorded).
 *
 * @example
 * const recorder = new SdkCallRecorder();
 * recorder.attach(s3);
 * const upload = recorder.for('upload', uploadHandlerFrom(container, auth));
 * await upload(event); // recorder.calls: [{ fn: 'upload', client: 'S3Client', command: 'PutObjectCommand', ... }]
 */
export class SdkCallRecorder {
  readonly calls: SdkCall[] = [];
  readonly #fn = new AsyncLocalStorage<string>();

  /** Adds the recording middleware (initialize step: once per command, before retries). */
  attach<C extends ClientWithMiddleware>(client: C): C {
    const record =
      (next: Next, context: { clientName?: string; commandName?: string }) => (args: Parameters<Next>[0]) => {
        const fn = this.#fn.getStore();
        if (fn !== undefined)
          this.calls.push({
            fn,
            client: context.clientName ?? '?',
            command: context.commandName ?? '?',
            input: args.input,
          });
        return next(args);
      };
    client.middlewareStack.add(record as never, { step: 'initialize', name: 'sdkCallRecorder' } as never);
    return client;
  }

  /** Runs `work` as function `fn`: the calls it makes are recorded under that name. */
  as<T>(fn: string, work: () => T): T {
    return this.#fn.run(fn, work);
  }

  /** `handler`, with every invocation run {@link as} `fn`. */
  for<A extends unknown[], R>(fn: string, handler: (...args: A) => R): (...args: A) => R {
    return (...args) => this.as(fn, () => handler(...args));
  }

  /** Runs `work` outside any function, e.g. a test's own write from inside a stubbed port. */
  outside<T>(work: () => T): T {
    return this.#fn.exit(work);
  }
}
