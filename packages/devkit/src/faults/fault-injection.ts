import { randomUUID } from 'node:crypto';

/** Any SDK v3 client (DynamoDBClient, S3Client, SQSClient): only its middleware stack is used. */
export interface ClientWithMiddleware {
  middlewareStack: {
    // The stack's generic types differ per client; the middleware below is client-agnostic.
    add(middleware: never, options: never): void;
    remove(nameOrReference: string): boolean;
  };
}

type Handler = (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>;
type Middleware = (next: Handler, context: { commandName?: string }) => Handler;

/** A fault that is active until `remove()`; `calls` counts the attempts it intercepted. */
export interface InjectedFault {
  readonly calls: number;
  remove(): void;
}

/**
 * Makes every attempt of `commandName` (e.g. `BatchWriteItemCommand`) on this client fail with
 * `makeError()`, inside the SDK's retry loop, so the SDK retries it as it would a real one.
 * Pass `times` to fail only the first n attempts.
 */
export function failCommand(
  client: ClientWithMiddleware,
  commandName: string,
  makeError: () => Error,
  options: { times?: number } = {},
): InjectedFault {
  let calls = 0;
  const middleware: Middleware = (next, context) => async (args) => {
    if (context.commandName !== commandName) return next(args);
    calls++;
    if (options.times === undefined || calls <= options.times) throw makeError();
    return next(args);
  };
  return install(client, middleware, 'deserialize', () => calls);
}

/**
 * Rewrites calls of `commandName` around the real request: `intercept` receives the command
 * input and a `send` that performs it (with possibly changed input) and returns the output.
 */
export function interceptCommand(
  client: ClientWithMiddleware,
  commandName: string,
  intercept: (
    input: Record<string, unknown>,
    send: (input: Record<string, unknown>) => Promise<Record<string, unknown>>,
    call: number,
  ) => Promise<Record<string, unknown>>,
): InjectedFault {
  let calls = 0;
  const middleware: Middleware = (next, context) => async (args) => {
    if (context.commandName !== commandName) return next(args);
    calls++;
    let response: { output: Record<string, unknown> } | undefined;
    const output = await intercept(
      args.input,
      async (input) => {
        response = await next({ ...args, input });
        return response.output;
      },
      calls,
    );
    return { ...(response ?? {}), output };
  };
  return install(client, middleware, 'initialize', () => calls);
}

/** Counts calls of `commandName` without changing them. */
export function countCommand(client: ClientWithMiddleware, commandName: string): InjectedFault {
  return interceptCommand(client, commandName, (input, send) => send(input));
}

/** An error shaped like the SDK's service exceptions (name, $fault, $metadata). */
export function serviceError(name: string, httpStatusCode = 400, message = `injected ${name}`): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, attempts: 1 },
  });
}

function install(
  client: ClientWithMiddleware,
  middleware: Middleware,
  step: 'initialize' | 'deserialize',
  calls: () => number,
): InjectedFault {
  const name = `receiptflow-fault-${randomUUID()}`;
  client.middlewareStack.add(middleware as never, { step, name, priority: 'high' } as never);
  return {
    get calls() {
      return calls();
    },
    remove: () => {
      client.middlewareStack.remove(name);
    },
  };
}
