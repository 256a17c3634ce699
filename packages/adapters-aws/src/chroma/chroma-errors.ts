import {
  ChromaClientError,
  ChromaConnectionError,
  ChromaForbiddenError,
  ChromaNotFoundError,
  ChromaQuotaExceededError,
  ChromaRateLimitError,
  ChromaServerError,
  ChromaUnauthorizedError,
  ChromaUniqueError,
  ChromaValueError,
  InvalidArgumentError,
  InvalidCollectionError,
} from 'chromadb';
import { DependencyError, ReceiptflowError, TransientDependencyError } from '@receiptflow/core';

const DEPENDENCY = 'chroma';

/**
 * Maps what the chromadb client threw to core's errors: an unreachable server, 5xx and rate
 * limits may pass on retry; a refused request (bad input, auth, quota) will not.
 * `action` names what was being done, e.g. `upsert into receiptflow_lines`.
 */
export function toReceiptflowError(error: unknown, action: string): ReceiptflowError {
  if (error instanceof ReceiptflowError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const options = { cause: error };
  if (error instanceof ChromaConnectionError) {
    // The client's own message talks about browsers and CORS; say what actually happened.
    return new TransientDependencyError(
      DEPENDENCY,
      `${action}: cannot reach the Chroma server (connection failed)`,
      options,
    );
  }
  if (error instanceof ChromaServerError || error instanceof ChromaRateLimitError) {
    return new TransientDependencyError(DEPENDENCY, `${action}: ${detail}`, options);
  }
  if (error instanceof ChromaNotFoundError) {
    // A collection deleted behind our back: the caller drops its cached handle and a retry
    // recreates the collection.
    return new TransientDependencyError(DEPENDENCY, `${action}: collection not found`, options);
  }
  if (
    error instanceof ChromaUnauthorizedError ||
    error instanceof ChromaForbiddenError ||
    error instanceof ChromaQuotaExceededError
  ) {
    return new DependencyError(DEPENDENCY, `${action}: refused (${error.name}: ${detail})`, options);
  }
  if (
    error instanceof ChromaClientError ||
    error instanceof ChromaValueError ||
    error instanceof ChromaUniqueError ||
    error instanceof InvalidArgumentError ||
    error instanceof InvalidCollectionError
  ) {
    return new DependencyError(DEPENDENCY, `${action}: rejected: ${detail}`, options);
  }
  return new TransientDependencyError(DEPENDENCY, `${action}: ${detail}`, options);
}
