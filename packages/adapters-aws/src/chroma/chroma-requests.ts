import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChromaClient } from 'chromadb';
import { ConfigError, TransientDependencyError, type Clock, type ReceiptflowError } from '@receiptflow/core';
import { toReceiptflowError } from './chroma-errors.js';

const DEPENDENCY = 'chroma';

/** How each Chroma call is bounded and retried. */
export interface ChromaRetryPolicy {
  /**
   * One attempt (one client call, with every HTTP request it makes) may take this long; its
   * requests are then aborted, so no socket is left waiting on a server that never answers.
   */
  requestTimeoutMs: number;
  /** Attempts per call, the first included (1 = no retry). */
  maxAttempts: number;
  /** First backoff step; doubles with every retry. */
  baseDelayMs: number;
  /** Cap on one wait between attempts. */
  maxDelayMs: number;
}

export const DEFAULT_CHROMA_RETRY_POLICY: ChromaRetryPolicy = {
  requestTimeoutMs: 30_000,
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
};

/**
 * The signal of the attempt in progress. The chromadb client (3.5.0) takes only a static
 * `fetchOptions`, fixed when it is built, and its collection methods take no signal; an
 * AsyncLocalStorage carries each attempt's own signal to the request interceptor below, which
 * runs inside the attempt's async context.
 */
const attemptSignal = new AsyncLocalStorage<AbortSignal>();
const interceptedClients = new WeakSet<object>();

/** The part of the client's generated HTTP layer the interceptor needs (TS-private, present at runtime). */
interface InterceptableClient {
  apiClient?: { interceptors?: { request?: { use(fn: (request: Request) => Request): void } } };
}

/**
 * Makes every HTTP request of `client` (and of the collections it hands out, which share its HTTP
 * layer) follow the signal of the attempt that sends it. Installed once per client. Throws
 * ConfigError if the client no longer exposes its interceptors (a chromadb upgrade changed its
 * internals): without them a timed-out request would keep its socket open.
 */
export function abortRequestsWithAttempt(client: ChromaClient): void {
  if (interceptedClients.has(client)) return;
  const interceptors = (client as unknown as InterceptableClient).apiClient?.interceptors?.request;
  if (typeof interceptors?.use !== 'function') {
    throw new ConfigError(
      'this chromadb client exposes no request interceptors; requests could not be aborted (was chromadb upgraded?)',
    );
  }
  interceptors.use((request) => {
    const signal = attemptSignal.getStore();
    return signal ? new Request(request, { signal }) : request;
  });
  interceptedClients.add(client);
}

/**
 * Runs Chroma calls with a per-attempt timeout that aborts the attempt's requests, and retries
 * the failures that may pass (connection refused or reset, 5xx, 429, timeouts) with jittered
 * exponential backoff, at most `maxAttempts` times. A refused request (4xx: bad input, auth,
 * quota) fails at once as DependencyError. Errors come out as core's (see `toReceiptflowError`).
 *
 * Worst case of one call: `maxAttempts × requestTimeoutMs` plus the waits, each at most
 * `maxDelayMs` ({@link worstCaseMs}).
 *
 * @example
 * const requests = new ChromaRequests(client, { ...DEFAULT_CHROMA_RETRY_POLICY, requestTimeoutMs: 10_000 }, clock);
 * const n = await requests.run('count receiptflow_lines', () => collection.count());
 */
export class ChromaRequests {
  constructor(
    client: ChromaClient,
    readonly policy: ChromaRetryPolicy,
    private readonly clock: Pick<Clock, 'sleep'>,
    private readonly random: () => number = Math.random,
  ) {
    for (const [name, value] of Object.entries(policy)) {
      if (!Number.isInteger(value) || value < (name === 'baseDelayMs' ? 0 : 1)) {
        throw new ConfigError(`chroma ${name} must be a positive integer, got ${value}`);
      }
    }
    abortRequestsWithAttempt(client);
  }

  /** The longest one call can take: every attempt timing out, the longest wait between them. */
  worstCaseMs(): number {
    const p = this.policy;
    return p.maxAttempts * p.requestTimeoutMs + (p.maxAttempts - 1) * p.maxDelayMs;
  }

  /**
   * Runs `request` (one client call) until it succeeds, fails for good, or has used every
   * attempt. `onError` sees each raw failure first; it returns true when a retry could not pass
   * (e.g. a stale collection handle the caller must re-resolve first).
   */
  async run<T>(
    action: string,
    request: () => Promise<T>,
    options: { onError?: (error: unknown) => boolean | void } = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let failure: ReceiptflowError;
      let stop: boolean;
      try {
        return await this.attempt(action, request);
      } catch (error) {
        stop = options.onError?.(error) === true;
        failure = toReceiptflowError(error, action);
      }
      if (stop || !failure.retryable || attempt >= this.policy.maxAttempts) {
        if (attempt === 1 || !failure.retryable) throw failure;
        throw new TransientDependencyError(
          DEPENDENCY,
          `${failure.message.replace(`${DEPENDENCY}: `, '')} (gave up after ${attempt} attempts)`,
          { cause: failure },
        );
      }
      await this.clock.sleep(this.delayMs(attempt));
    }
  }

  /** Equal jitter: half the step fixed, half random, so a burst of retries spreads out. */
  private delayMs(attempt: number): number {
    const step = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.ceil(step / 2 + this.random() * (step / 2));
  }

  /** One attempt: its requests carry a signal that aborts them at the timeout. */
  private async attempt<T>(action: string, request: () => Promise<T>): Promise<T> {
    const timeoutMs = this.policy.requestTimeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      // A deadline on a real network call, not a wait of ours: a fake clock cannot hold a socket
      // open, so this stays a timer (cleared as soon as the attempt settles).
      timer = setTimeout(() => {
        const error = new TransientDependencyError(
          DEPENDENCY,
          `${action}: no answer from the Chroma server within ${timeoutMs} ms`,
        );
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      // The race settles the attempt even if the client swallowed the abort somewhere.
      return await Promise.race([attemptSignal.run(controller.signal, request), timedOut]);
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
