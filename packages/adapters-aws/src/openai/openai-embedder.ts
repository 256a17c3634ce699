import {
  ConfigError,
  DependencyError,
  TransientDependencyError,
  type Clock,
  type Embedder,
  type EmbeddingResult,
} from '@receiptflow/core';
import { OpenAiApiError, OpenAiConnectionError } from '../errors.js';
import { AdaptiveConcurrencyLimiter } from './adaptive-concurrency-limiter.js';
import type { EmbeddingsApi, EmbeddingsResponse } from './openai-embeddings-client.js';
import { retryDelayMs, serverRetryAfterMs } from './retry-delay.js';

export interface OpenAiEmbedderConfig {
  /** Default `text-embedding-3-small`. */
  model?: string;
  /** Requested from the API (text-embedding-3 models shorten natively). Default 512. */
  dimensions?: number;
  /** Inputs per request, at most 2048 (the API's limit). Default 512. */
  batchSize?: number;
  /** Requests in flight at most; lowered on its own while the API throttles. Default 4. */
  maxConcurrency?: number;
  /** Retries per request after a 429, 5xx, timeout or connection failure. Default 6. */
  maxRetries?: number;
  /** First backoff step, doubling per attempt. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap on the exponential backoff. Default 20 s. */
  maxDelayMs?: number;
  /** A server asking to wait longer than this fails the call now instead. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Per request. Default 60 s. */
  requestTimeoutMs?: number;
  /**
   * Sleeps between retries and reads HTTP-date Retry-After: the composition root passes
   * SystemClock (`@receiptflow/adapters-local/clock`), tests a fake one.
   */
  clock: Clock;
  /** Jitter source, 0 ≤ x < 1. Default Math.random. */
  random?: () => number;
}

const DEPENDENCY = 'openai';
/** The API accepts at most 2048 inputs per embeddings request. */
const MAX_INPUTS_PER_REQUEST = 2048;

/**
 * {@link Embedder} over the OpenAI embeddings API. The client ({@link OpenAiEmbeddingsClient}, one
 * attempt per call) is passed in, so the backoff here is the only retry policy that runs and is
 * tested. Inputs are batched, requests run under an adaptive concurrency limit, 429/5xx are retried with
 * exponential backoff + jitter that honours `retry-after-ms` / `Retry-After`, and every vector is
 * checked for length and unit-normalised.
 */
export class OpenAiEmbedder implements Embedder {
  readonly model: string;
  readonly dimensions: number;
  private readonly batchSize: number;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly requestTimeoutMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly limiter: AdaptiveConcurrencyLimiter;

  /**
   * Validates the limits now (throws ConfigError); the client brings the API key and base URL.
   *
   * @example
   * const embedder = new OpenAiEmbedder(new OpenAiEmbeddingsClient({ apiKey }), { dimensions: 512, clock });
   * const { vectors } = await embedder.embed(['HARBOR LANE GROCERY', 'TOTAL 12.40']);
   */
  constructor(
    private readonly client: EmbeddingsApi,
    config: OpenAiEmbedderConfig,
  ) {
    this.model = config.model ?? 'text-embedding-3-small';
    this.dimensions = positiveInteger(config.dimensions ?? 512, 'dimensions');
    this.batchSize = positiveInteger(config.batchSize ?? 512, 'batchSize');
    if (this.batchSize > MAX_INPUTS_PER_REQUEST) {
      throw new ConfigError(`batchSize must be at most ${MAX_INPUTS_PER_REQUEST}, got ${this.batchSize}`);
    }
    this.maxRetries = nonNegativeInteger(config.maxRetries ?? 6, 'maxRetries');
    this.baseDelayMs = positiveInteger(config.baseDelayMs ?? 500, 'baseDelayMs');
    this.maxDelayMs = positiveInteger(config.maxDelayMs ?? 20_000, 'maxDelayMs');
    this.maxRetryAfterMs = positiveInteger(config.maxRetryAfterMs ?? 60_000, 'maxRetryAfterMs');
    this.requestTimeoutMs = positiveInteger(config.requestTimeoutMs ?? 60_000, 'requestTimeoutMs');
    this.clock = config.clock;
    this.random = config.random ?? Math.random;
    this.limiter = new AdaptiveConcurrencyLimiter(positiveInteger(config.maxConcurrency ?? 4, 'maxConcurrency'));
  }

  async embed(texts: string[]): Promise<EmbeddingResult> {
    if (texts.length === 0) return { vectors: [], tokens: 0 };
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      batches.push(texts.slice(i, i + this.batchSize));
    }
    // Every batch is started at once; the limiter decides how many are really in flight. The
    // first final failure aborts the others, so a doomed call stops spending requests.
    const abort = new AbortController();
    const results = await Promise.all(
      batches.map((batch) =>
        this.embedBatch(batch, abort.signal).catch((error: unknown) => {
          abort.abort(error);
          throw error;
        }),
      ),
    );
    return {
      vectors: results.flatMap((r) => r.vectors),
      tokens: results.reduce((sum, r) => sum + r.tokens, 0),
    };
  }

  private async embedBatch(input: string[], signal: AbortSignal): Promise<EmbeddingResult> {
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      try {
        const response = await this.limiter.run(() =>
          this.client.create(
            {
              model: this.model,
              input,
              // Only the text-embedding-3 family accepts `dimensions`; others are checked below.
              ...(this.model.startsWith('text-embedding-3') ? { dimensions: this.dimensions } : {}),
            },
            { timeoutMs: this.requestTimeoutMs, signal },
          ),
        );
        this.limiter.succeeded();
        return this.toResult(input.length, response);
      } catch (error) {
        signal.throwIfAborted();
        const waitMs = this.retryWait(error, attempt);
        await this.clock.sleep(waitMs, signal);
      }
    }
  }

  /** How long to wait before the next attempt; throws if the error is final. */
  private retryWait(error: unknown, attempt: number): number {
    if (!(error instanceof OpenAiApiError) && !(error instanceof OpenAiConnectionError)) throw error;
    const status = error instanceof OpenAiApiError ? error.status : undefined;
    const what = status === undefined ? 'connection failed' : `status ${status}`;
    const detail = `embeddings request failed (${what}): ${error.message}`;
    const options = { cause: error };
    if (status === 429 && error instanceof OpenAiApiError && isOutOfCredit(error)) {
      // Out of credit: waiting will not help.
      throw new DependencyError(DEPENDENCY, detail, options);
    }
    const retryable =
      error instanceof OpenAiConnectionError ||
      status === 408 ||
      status === 409 ||
      status === 429 ||
      (status !== undefined && status >= 500);
    if (!retryable) throw new DependencyError(DEPENDENCY, detail, options);
    if (attempt >= this.maxRetries) {
      throw new TransientDependencyError(DEPENDENCY, `${detail} (gave up after ${attempt + 1} attempts)`, options);
    }
    if (status === 429) this.limiter.throttled();
    const asked = error instanceof OpenAiApiError ? serverRetryAfterMs(error.headers, this.clock.now()) : undefined;
    if (asked !== undefined && asked > this.maxRetryAfterMs) {
      throw new TransientDependencyError(
        DEPENDENCY,
        `${detail} (server asked to retry after ${Math.round(asked)} ms, more than ${this.maxRetryAfterMs} ms)`,
        options,
      );
    }
    return retryDelayMs(attempt, asked, {
      baseDelayMs: this.baseDelayMs,
      maxDelayMs: this.maxDelayMs,
      random: this.random,
      now: this.clock.now(),
    });
  }

  private toResult(expected: number, response: EmbeddingsResponse): EmbeddingResult {
    const data = [...(response.data ?? [])].sort((a, b) => a.index - b.index);
    if (data.length !== expected || data.some((d, i) => d.index !== i)) {
      throw new DependencyError(DEPENDENCY, `embeddings response has ${data.length} vectors for ${expected} inputs`);
    }
    const vectors = data.map((d) => {
      const vector = d.embedding;
      if (vector.length !== this.dimensions) {
        throw new DependencyError(
          DEPENDENCY,
          `model ${this.model} returned ${vector.length} dimensions, expected ${this.dimensions}`,
        );
      }
      return normalise(vector, d.index);
    });
    return { vectors, tokens: response.usage?.total_tokens ?? 0 };
  }
}

/** OpenAI's out-of-credit 429 names `insufficient_quota` as its error code (and type). */
function isOutOfCredit(error: OpenAiApiError): boolean {
  return error.apiCode === 'insufficient_quota' || error.apiType === 'insufficient_quota';
}

function normalise(vector: number[], index: number): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  if (!Number.isFinite(norm) || norm === 0) {
    throw new DependencyError(DEPENDENCY, `embedding ${index} is zero or not finite`);
  }
  return vector.map((x) => x / norm);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}
