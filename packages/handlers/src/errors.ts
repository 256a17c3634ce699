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
