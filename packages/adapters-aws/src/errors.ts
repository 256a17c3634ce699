import { DependencyError, ReceiptflowError, TransientDependencyError } from '@receiptflow/core';

/** What an AWS SDK v3 error exposes, without depending on any one client's exception classes. */
interface AwsErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'TransactionConflictException',
]);

/** Errors with no HTTP response: the service could not be reached or did not answer in time. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);

function asAwsError(error: unknown): AwsErrorLike {
  return typeof error === 'object' && error !== null ? (error as AwsErrorLike) : {};
}

/** The AWS error name (`ConditionalCheckFailedException`, `NoSuchKey`, …), if any. */
export function awsErrorName(error: unknown): string | undefined {
  return asAwsError(error).name;
}

/** True for throttling, 5xx answers and failures to reach the service at all. */
export function isTransientAwsError(error: unknown): boolean {
  const e = asAwsError(error);
  if (e.name !== undefined && THROTTLING_NAMES.has(e.name)) return true;
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) return true;
  if (e.name !== undefined && NETWORK_CODES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP status at all: the request never got an answer (connection refused, socket hang up).
  return true;
}

/**
 * Maps an SDK error to a core error naming the dependency and what was being done, e.g.
 * `dynamodb: PutItem on table jobs: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1`.
 */
export function mapAwsError(dependency: string, what: string, error: unknown): ReceiptflowError {
  const e = asAwsError(error);
  const detail = [e.name, e.code !== e.name ? e.code : undefined, e.message]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
  const message = `${what}: ${detail || String(error)}`;
  return isTransientAwsError(error)
    ? new TransientDependencyError(dependency, message, { cause: error })
    : new DependencyError(dependency, message, { cause: error });
}

/**
 * The OpenAI API answered with an error status (`OpenAiEmbeddingsClient`). `status` is the HTTP
 * status, `apiCode` / `apiType` OpenAI's own (`insufficient_quota`, `rate_limit_exceeded`, …), and
 * `headers` the response's, for `retry-after-ms` / `Retry-After`. The embedder decides what is
 * retried and maps it to a core error.
 */
export class OpenAiApiError extends ReceiptflowError {
  readonly code = 'OPENAI_API_ERROR';
  readonly apiCode: string | undefined;
  readonly apiType: string | undefined;
  readonly headers: { get(name: string): string | null } | undefined;
  constructor(
    readonly status: number,
    detail: string,
    options: {
      apiCode?: string | undefined;
      apiType?: string | undefined;
      headers?: { get(name: string): string | null };
    } = {},
  ) {
    super(`${status} ${detail}`);
    this.apiCode = options.apiCode;
    this.apiType = options.apiType;
    this.headers = options.headers;
  }
}

/** The OpenAI API gave no answer: refused, reset, unreachable, or over the request's deadline. */
export class OpenAiConnectionError extends ReceiptflowError {
  readonly code = 'OPENAI_CONNECTION_FAILED';
}
