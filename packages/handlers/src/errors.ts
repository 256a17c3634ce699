import { ReceiptflowError } from '@receiptflow/core';

/**
 * `receipts serve` could not open its data directory or start its workers (a corrupt journal,
 * an unreadable index, a directory locked by another serve). The server has closed its port;
 * the CLI prints the message and exits non-zero.
 */
export class ServeStartupError extends ReceiptflowError {
  readonly code = 'SERVE_STARTUP_FAILED';
  constructor(
    readonly dataDir: string,
    options: { cause: unknown },
  ) {
    const cause = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`receipts serve could not start on data directory ${dataDir}: ${cause}`, options);
  }
}

/**
 * A presigned upload arrived for an image whose processing already started (its upload was
 * confirmed): the stored bytes must stay the ones OCR read, so the PUT is refused with 409.
 */
export class UploadClosedError extends ReceiptflowError {
  readonly code = 'UPLOAD_CLOSED';
  constructor(readonly imageId: string) {
    super(`image ${imageId} is already being processed; its upload can no longer be replaced`);
  }
}

/** A tool that rewrites the data directory (`receipts fsck --repair`) found it owned by a live serve. */
export class DataDirInUseError extends ReceiptflowError {
  readonly code = 'DATA_DIR_IN_USE';
}

/**
 * The `receipts` CLI could not reach the upload API at all (connection refused, DNS): nothing
 * was sent. The message names the URL and suggests starting `receipts serve`.
 *
 * @example
 * await new UploadApiClient('http://127.0.0.1:1', undefined).request('GET', '/status/x'); // rejects, code SERVER_UNREACHABLE
 */
export class ServerUnreachableError extends ReceiptflowError {
  readonly code = 'SERVER_UNREACHABLE';
  override readonly retryable = true;
  constructor(
    readonly baseUrl: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`cannot reach ${baseUrl}: ${reason}; is "receipts serve" running?`, options);
  }
}

/**
 * The upload API, or the presigned upload URL it handed out, answered with an HTTP error. The
 * message names the request, the status and the server's own explanation.
 *
 * @example
 * try { await client.request('GET', '/status/missing'); }
 * catch (e) { if (e instanceof HttpRequestFailedError && e.status === 404) console.error('no such image'); }
 */
export class HttpRequestFailedError extends ReceiptflowError {
  readonly code = 'HTTP_REQUEST_FAILED';
  constructor(
    readonly request: string,
    readonly status: number,
    readonly detail: string,
  ) {
    super(`${request} failed with HTTP ${status}: ${detail}`);
  }
}
