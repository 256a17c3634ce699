import type { PresignedUpload } from './ports/image-store.js';

/**
 * Every error that core raises is a {@link ReceiptflowError} with a stable `code`, so that
 * handlers can map errors to responses and retries without matching on messages.
 *
 * `retryable` tells a message handler whether redelivery could ever succeed: a message that
 * fails with a non-retryable error is settled (job FAILED, message dropped or sent to a DLQ).
 */
export abstract class ReceiptflowError extends Error {
  abstract readonly code: string;
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input failed validation; `issues` names each offending field. */
export class ValidationError extends ReceiptflowError {
  readonly code = 'VALIDATION_FAILED';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message, options);
  }
}

/**
 * The bytes are another format than the client declared (sniffed from their magic numbers). The
 * upload is refused whole, naming both, rather than half-processed as the wrong thing.
 */
export class ContentTypeMismatchError extends ReceiptflowError {
  readonly code = 'CONTENT_TYPE_MISMATCH';
  constructor(
    readonly declared: string,
    readonly actual: string,
  ) {
    super(`content-type says ${declared} but the body is ${actual}`);
  }
}

/** A record or object that was expected does not exist. */
export class NotFoundError extends ReceiptflowError {
  readonly code = 'NOT_FOUND';
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} not found: ${key}`);
  }
}

/**
 * The caller is known but may not do this: an operator route called with a key whose owner is
 * not an operator. Unlike another owner's id (404, so that ids cannot be probed), the operator
 * routes are documented and the same for everyone, so saying "not for you" leaks nothing.
 */
export class ForbiddenError extends ReceiptflowError {
  readonly code = 'FORBIDDEN';
}

/** A conditional write lost: the record exists already, or is not in the expected state. */
export class ConditionFailedError extends ReceiptflowError {
  readonly code = 'CONDITION_FAILED';
}

/**
 * The bytes of a presigned upload are not an acceptable image (not an image, truncated, too
 * many pixels, another type than declared). They were deleted, and `upload` is a fresh
 * presigned upload for the same image, so the client can send good bytes; the job is untouched.
 */
export class InvalidUploadError extends ReceiptflowError {
  readonly code = 'INVALID_UPLOAD';
  constructor(
    readonly imageId: string,
    readonly reason: string,
    readonly upload: PresignedUpload,
    options?: { cause?: unknown },
  ) {
    super(
      `uploaded bytes of image ${imageId} were refused: ${reason}; send the image again to the new upload URL`,
      options,
    );
  }
}

/** A state machine was asked for a transition it does not allow. */
export class IllegalTransitionError extends ReceiptflowError {
  readonly code = 'ILLEGAL_TRANSITION';
  constructor(
    readonly entity: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${entity}: illegal transition ${from} -> ${to}`);
  }
}

/**
 * A lock is held by someone else: the compaction lock, or a receipt's write lease (another
 * delivery of the same message is writing it). Retrying later can succeed.
 */
export class LockBusyError extends ReceiptflowError {
  readonly code = 'LOCK_BUSY';
  override readonly retryable = true;
  /**
   * How long the holder's lease still runs, in ms from when this was thrown, when the holder
   * says: a retry before then meets the same holder, so a consumer waits about this long.
   */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** The lease expired or was taken over; whatever the holder did must not be promoted. */
export class LeaseLostError extends ReceiptflowError {
  readonly code = 'LEASE_LOST';
  override readonly retryable = true;
}

/** A write carried a fencing token older than one already seen. */
export class StaleFencingTokenError extends ReceiptflowError {
  readonly code = 'STALE_FENCING_TOKEN';
  override readonly retryable = true;
}

/** A message can never succeed (malformed, or its job/image is gone): settle it, don't retry. */
export class PoisonMessageError extends ReceiptflowError {
  readonly code = 'POISON_MESSAGE';
}

/** A vector delta failed validation (truncated, wrong count or checksum). */
export class CorruptDeltaError extends ReceiptflowError {
  readonly code = 'CORRUPT_DELTA';
}

/**
 * A stored vector snapshot fails its checks (checksum, count, truncation, another collection's or
 * id's header): reported at restore before anything is loaded, and at write time before the
 * pointer would name it. `cause` is the CorruptDeltaError that found it.
 */
export class CorruptSnapshotError extends ReceiptflowError {
  readonly code = 'CORRUPT_SNAPSHOT';
}

/** A vector snapshot id that is not among the stored ones; the message names those that are. */
export class UnknownVectorSnapshotError extends ReceiptflowError {
  readonly code = 'UNKNOWN_SNAPSHOT';
}

/** A write was not fully applied: read-back counted fewer records than were written. */
export class IncompleteWriteError extends ReceiptflowError {
  readonly code = 'INCOMPLETE_WRITE';
  override readonly retryable = true;
  constructor(
    readonly expected: number,
    readonly actual: number,
    what: string,
  ) {
    super(`${what}: wrote ${expected} records, read back ${actual}`);
  }
}

/** Work did not finish before its deadline. */
export class DeadlineExceededError extends ReceiptflowError {
  readonly code = 'DEADLINE_EXCEEDED';
  override readonly retryable = true;
}

/**
 * A dependency (AWS, Chroma, OpenAI, Places) failed; the message starts with its name. Catch this
 * to handle both kinds: {@link TransientDependencyError} (retry may pass) and
 * {@link DependencyError} (refused for good).
 *
 * @example
 * try { await embedder.embed(texts); }
 * catch (e) { if (e instanceof DependencyFailure) log.warn(`${e.dependency} failed`, { retryable: e.retryable }); }
 */
export abstract class DependencyFailure extends ReceiptflowError {
  constructor(
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency}: ${message}`, options);
  }
}

/** A dependency failed in a way that may pass on retry. */
export class TransientDependencyError extends DependencyFailure {
  readonly code = 'TRANSIENT_DEPENDENCY';
  override readonly retryable = true;
}

/** A dependency refused the request for good (bad key, bad request). */
export class DependencyError extends DependencyFailure {
  readonly code = 'DEPENDENCY_FAILED';
}

/**
 * A command line was wrong: an unknown flag, a missing or invalid value. Every CLI (`receipts`,
 * `receipt-ocr`, the infra tools) prints the message, which names the flag, and exits with
 * status 2. Defined once here so that every CLI and its tests share one class.
 *
 * @example
 * if (!values.data) throw new UsageError('restore needs --data DIR');
 */
export class UsageError extends ReceiptflowError {
  readonly code = 'USAGE';
}

/** Configuration is missing or invalid; raised at cold start, naming the variable. */
export class ConfigError extends ReceiptflowError {
  readonly code = 'CONFIG_INVALID';
}

export function isRetryable(error: unknown): boolean {
  return error instanceof ReceiptflowError ? error.retryable : true;
}
