import {
  ACCEPTED_CONTENT_TYPES,
  InvalidUploadError,
  MAX_PRESIGNED_UPLOAD_BYTES,
  ReceiptflowError,
  confirmUpload,
  getUploadStatus,
  inspectImage,
  noopMetrics,
  submitJob,
  type Logger,
  type Metrics,
  type SubmitJobDeps,
} from '@receiptflow/core';
import { z } from 'zod';
import type { ApiKeyAuth } from '../http/api-key-auth.js';
import { bodyBytes, errorResult, header, json, type HttpApiEvent, type HttpApiResult } from '../http/api-gateway.js';

/** Direct uploads ride in the request body; API Gateway and Lambda cap that near 6 MB. */
export const MAX_DIRECT_UPLOAD_BYTES = 5 * 1024 * 1024;

export interface UploadHandlerDeps {
  submit: SubmitJobDeps;
  auth: ApiKeyAuth;
  logger: Logger;
  /** Counts `Failures`: requests answered 5xx. */
  metrics?: Metrics;
  maxDirectUploadBytes?: number;
  maxPixels?: number;
}

const PresignRequest = z.object({
  filename: z.string().min(1).max(255),
  content_type: z.enum(ACCEPTED_CONTENT_TYPES),
  /** Optional: the upload is then bound to at most this many bytes. */
  size_bytes: z.number().int().min(1).max(MAX_PRESIGNED_UPLOAD_BYTES).optional(),
});
const ConfirmRequest = z.object({ image_id: z.string().min(1) });

/**
 * The upload API (API Gateway HTTP API, payload v2):
 * - `POST /upload-receipt` with a JSON body `{filename, content_type, size_bytes?}` → a presigned
 *   `upload` (`{method, url, fields, headers, max_bytes, expires_at}`: a PUT locally, an S3
 *   form POST in AWS); with an image body (binary or base64) → direct upload, filename from
 *   `?filename=`.
 * - `POST /upload-complete` `{image_id}` → checks the uploaded bytes and starts OCR; bad bytes get
 *   422 with a fresh `upload` for the same image.
 * - `GET /upload-status?image_id=` → the stage reached.
 */
export function createUploadHandler(deps: UploadHandlerDeps) {
  const maxBytes = deps.maxDirectUploadBytes ?? MAX_DIRECT_UPLOAD_BYTES;
  const metrics = deps.metrics ?? noopMetrics;

  return async function uploadHandler(event: HttpApiEvent): Promise<HttpApiResult> {
    if (!deps.auth.verify(header(event, 'authorization'))) {
      return errorResult(401, 'UNAUTHORIZED', 'missing or invalid bearer token');
    }
    const route = `${event.requestContext.http.method.toUpperCase()} ${event.rawPath}`;
    metrics.count('Failures', 0);
    try {
      switch (route) {
        case 'POST /upload-receipt':
          return await upload(event);
        case 'POST /upload-complete':
          return await complete(event);
        case 'GET /upload-status':
          return await status(event);
        default:
          return errorResult(404, 'NOT_FOUND', `no route ${route}`);
      }
    } catch (error) {
      const result = mapError(error, deps.logger);
      if (result.statusCode >= 500) metrics.count('Failures');
      return result;
    } finally {
      metrics.flush();
    }
  };

  async function upload(event: HttpApiEvent): Promise<HttpApiResult> {
    const contentType = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (contentType === 'application/json') {
      const parsed = PresignRequest.safeParse(parseJson(event));
      if (!parsed.success) return invalid(parsed.error);
      const result = await submitJob(deps.submit, {
        filename: parsed.data.filename,
        contentType: parsed.data.content_type,
        ...(parsed.data.size_bytes === undefined ? {} : { maxBytes: parsed.data.size_bytes }),
      });
      deps.logger.info('upload url issued', { image_id: result.image_id, job_id: result.job_id, s3_key: result.s3_key });
      return json(201, result);
    }
    if (!(ACCEPTED_CONTENT_TYPES as readonly string[]).includes(contentType)) {
      return errorResult(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `content-type "${contentType || '(none)'}" is not accepted; send application/json for a presigned URL or one of ${ACCEPTED_CONTENT_TYPES.join(', ')}`,
      );
    }
    const body = bodyBytes(event);
    if (body.length > maxBytes) {
      return errorResult(413, 'PAYLOAD_TOO_LARGE', `body is ${body.length} bytes; direct uploads take at most ${maxBytes} bytes, use a presigned URL for larger images`);
    }
    const info = inspectImage(body, deps.maxPixels === undefined ? {} : { maxPixels: deps.maxPixels });
    if (info.contentType !== contentType) {
      return errorResult(415, 'CONTENT_TYPE_MISMATCH', `content-type says ${contentType} but the body is ${info.contentType}`);
    }
    const filename = event.queryStringParameters?.filename ?? header(event, 'x-filename') ?? `upload.${info.contentType.split('/')[1]}`;
    const result = await submitJob(deps.submit, { filename, contentType, body });
    deps.logger.info('receipt uploaded', { image_id: result.image_id, job_id: result.job_id, s3_key: result.s3_key, bytes: body.length });
    return json(201, result);
  }

  async function complete(event: HttpApiEvent): Promise<HttpApiResult> {
    const parsed = ConfirmRequest.safeParse(parseJson(event));
    if (!parsed.success) return invalid(parsed.error);
    const result = await confirmUpload(deps.submit, { ...parsed.data, ...(deps.maxPixels === undefined ? {} : { maxPixels: deps.maxPixels }) });
    deps.logger.info('upload completed', { image_id: result.image_id, job_id: result.job_id, enqueued: result.enqueued });
    return json(200, result);
  }

  async function status(event: HttpApiEvent): Promise<HttpApiResult> {
    const imageId = event.queryStringParameters?.image_id;
    if (!imageId) return errorResult(400, 'VALIDATION_FAILED', 'query parameter image_id is required');
    const result = await getUploadStatus(deps.submit.jobs, imageId);
    return result ? json(200, result) : errorResult(404, 'NOT_FOUND', `image not found: ${imageId}`);
  }
}

function parseJson(event: HttpApiEvent): unknown {
  try {
    return JSON.parse(Buffer.from(bodyBytes(event)).toString('utf8'));
  } catch {
    return undefined;
  }
}

function invalid(error: z.ZodError): HttpApiResult {
  const issues = error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  return errorResult(400, 'VALIDATION_FAILED', `invalid request: ${issues.join('; ')}`);
}

const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  NOT_FOUND: 404,
  CONDITION_FAILED: 409,
};

function mapError(error: unknown, logger: Logger): HttpApiResult {
  if (error instanceof InvalidUploadError) {
    // The client needs the fresh upload to try again; the error body carries it.
    return json(422, { error: { code: error.code, message: error.message }, image_id: error.imageId, upload: error.upload });
  }
  if (error instanceof ReceiptflowError && STATUS_BY_CODE[error.code]) {
    return errorResult(STATUS_BY_CODE[error.code] ?? 400, error.code, error.message);
  }
  logger.error('upload request failed', { error: error instanceof Error ? error.message : String(error) });
  const retryable = error instanceof ReceiptflowError ? error.retryable : true;
  return errorResult(retryable ? 503 : 500, 'INTERNAL', 'the request could not be completed; retry later');
}
