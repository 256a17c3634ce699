import { ReceiptflowError } from '@receiptflow/core';

/**
 * A presigned upload URL that this store did not sign, was altered, has expired, or does not
 * allow this request (another content type, more bytes). The local server answers 403, as S3
 * does for a bad signature.
 */
export class PresignedUrlInvalidError extends ReceiptflowError {
  readonly code = 'PRESIGNED_URL_INVALID';
}

/** A presigned upload URL that was already used once: replays are refused (409). */
export class PresignedUrlUsedError extends ReceiptflowError {
  readonly code = 'PRESIGNED_URL_USED';
}
