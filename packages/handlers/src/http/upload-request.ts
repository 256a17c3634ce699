import { InvalidUploadError, ReceiptflowError, type Logger } from '@receiptflow/core';
import type * as z from 'zod';
import { bodyBytes, errorResult, header, json, type HttpApiEvent, type HttpApiResult } from './api-gateway.js';

/**
 * What the upload routes share: reading a request (its JSON body, its media type) and turning a
 * thrown error into the answer a client can act on.
 */

/** The request's JSON body, or undefined when it is not JSON (the route's schema then names what is missing). */
export function jsonBody(event: HttpApiEvent): unknown {
  try {
    return JSON.parse(Buffer.from(bodyBytes(event)).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The media type of the request, lower case, without parameters (`application/json; charset=utf-8` → `application/json`). */
export function mediaType(event: HttpApiEvent): string {
  return (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** 400 naming each field that failed the route's schema. */
export function invalidRequest(error: z.ZodError): HttpApiResult {
  const issues = error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  return errorResult(400, 'VALIDATION_FAILED', `invalid request: ${issues.join('; ')}`);
}

const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONTENT_TYPE_MISMATCH: 415,
  CONDITION_FAILED: 409,
};

/**
 * The answer for an error a route threw: the client's own mistakes keep their code and message;
 * refused upload bytes get 422 with a fresh upload; anything else is logged and answered 503
 * (retryable) or 500 without leaking its cause.
 *
 * @example
 * try { return await route(event); } catch (error) { return uploadErrorResult(error, logger); }
 */
export function uploadErrorResult(error: unknown, logger: Logger): HttpApiResult {
  if (error instanceof InvalidUploadError) {
    // The client needs the fresh upload to try again; the error body carries it.
    return json(422, {
      error: { code: error.code, message: error.message },
      image_id: error.imageId,
      upload: error.upload,
    });
  }
  if (error instanceof ReceiptflowError && STATUS_BY_CODE[error.code]) {
    return errorResult(STATUS_BY_CODE[error.code] ?? 400, error.code, error.message);
  }
  logger.error('upload request failed', { error: error instanceof Error ? error.message : String(error) });
  const retryable = error instanceof ReceiptflowError ? error.retryable : true;
  return errorResult(retryable ? 503 : 500, 'INTERNAL', 'the request could not be completed; retry later');
}
