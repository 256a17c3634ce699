import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';

/**
 * How long one AWS SDK call may take. Every client a function builds gets all of them: the
 * locked `@smithy/node-http-handler` (4.14) only logs a warning when `requestTimeout` passes,
 * unless `throwOnRequestTimeout` is set, and has no socket timeout unless one is given, so a
 * server that accepts a request and never answers would otherwise hold the call until the
 * Lambda dies (docs/adapters.md#deadlines-of-sdk-calls).
 */
export interface SdkCallLimits {
  /** TCP connect. */
  connectionTimeoutMs: number;
  /** From the request's start to the response's first byte; a breach throws `TimeoutError`. */
  requestTimeoutMs: number;
  /** Inactivity on the socket, e.g. a response body that stops mid-way; throws `TimeoutError`. */
  socketTimeoutMs: number;
  /** Attempts per call, the first included (SDK `standard` retry mode: throttles, 5xx, timeouts). */
  maxAttempts: number;
}

/**
 * DynamoDB, S3 and SQS answer in milliseconds; 10 s to the first byte is generous. At the worst
 * a call takes 3 × (3 s + 10 s) plus the `standard` mode's backoff (under 2 s at 3 attempts).
 */
export const SDK_CALL_LIMITS: Readonly<SdkCallLimits> = {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
  socketTimeoutMs: 10_000,
  maxAttempts: 3,
};

/**
 * A queue consumer's own calls on its records' queue (ChangeMessageVisibility, to retry soon).
 * From the VPC they go through the NAT instance, and when it is down the handler falls back to
 * the batch item failure (the queue's visibility timeout), which loses nothing; so they fail
 * fast rather than hold the invocation: 1 s to connect, 1.5 s to the answer, 2 attempts, about
 * 3.3 s at the worst (docs/operations.md#deadlines-and-lock-contention). In-region SQS answers in
 * tens of milliseconds.
 */
export const SETTLE_CALL_LIMITS: Readonly<SdkCallLimits> = {
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 1_500,
  socketTimeoutMs: 1_500,
  maxAttempts: 2,
};

/** SQS long polls keep the socket idle for up to 20 s (`SqsQueue.receive()`), so its idle limit is longer. */
const LONG_POLL_SOCKET_TIMEOUT_MS = 30_000;

/** Client settings shared by every AWS SDK client a function builds. */
export interface AwsClientSettings {
  region: string;
  /** Emulators or LocalStack only. */
  endpoint?: string;
  /** Defaults to {@link SDK_CALL_LIMITS}; tests shorten them. */
  limits?: Partial<SdkCallLimits>;
  /**
   * Called once with each SDK client built, before its first call. Tests only: the IAM test adds
   * a middleware that records every command (docs/adapters.md#iam-from-real-usage).
   */
  instrument?: (client: SdkClient) => void;
}

/** The SDK clients the functions build. */
export type SdkClient = DynamoDBClient | S3Client | SQSClient;

/**
 * Hands a freshly built client to {@link AwsClientSettings.instrument}, if set, and returns it.
 *
 * @example
 * const sqs = instrumented(new SQSClient(sqsClientConfig(settings)), settings);
 */
export function instrumented<C extends SdkClient>(client: C, settings: AwsClientSettings): C {
  settings.instrument?.(client);
  return client;
}

/**
 * The constructor options of one SDK client (DynamoDB, S3): region, endpoint, explicit attempts
 * and retry mode, and a request handler that throws on request and socket timeouts.
 *
 * @example
 * const s3 = new S3Client({ ...clientConfig({ region: 'eu-west-1' }), forcePathStyle: false });
 */
export function clientConfig(settings: AwsClientSettings, overrides: Partial<SdkCallLimits> = {}) {
  const limits = { ...SDK_CALL_LIMITS, ...settings.limits, ...overrides };
  return {
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    maxAttempts: limits.maxAttempts,
    retryMode: 'standard',
    // An options object: the SDK builds its NodeHttpHandler from it.
    requestHandler: {
      connectionTimeout: limits.connectionTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: limits.socketTimeoutMs,
    },
  };
}

/**
 * {@link clientConfig} for SQS: the same, with an idle limit that outlasts a 20 s long poll
 * (SqsQueue gives each receive its own, longer request timeout).
 *
 * @example
 * const queue = new SqsQueue(new SQSClient(sqsClientConfig(settings)), { queueUrl });
 */
export function sqsClientConfig(settings: AwsClientSettings) {
  const socketTimeoutMs = Math.max(settings.limits?.socketTimeoutMs ?? 0, LONG_POLL_SOCKET_TIMEOUT_MS);
  return clientConfig(settings, { socketTimeoutMs });
}

/**
 * {@link clientConfig} for the client a consumer settles its records with: {@link SETTLE_CALL_LIMITS},
 * whatever `settings.limits` says (that client makes no long poll).
 *
 * @example
 * const sqs = new SQSClient(settleSqsClientConfig(settings));
 */
export function settleSqsClientConfig(settings: AwsClientSettings) {
  return clientConfig(settings, SETTLE_CALL_LIMITS);
}

export function settingsFrom(config: { AWS_REGION: string; AWS_ENDPOINT_URL?: string | undefined }): AwsClientSettings {
  return { region: config.AWS_REGION, ...(config.AWS_ENDPOINT_URL ? { endpoint: config.AWS_ENDPOINT_URL } : {}) };
}
