import {
  ACCEPTED_CONTENT_TYPES,
  MAX_PRESIGNED_UPLOAD_BYTES,
  sniffContentType,
  submitJob,
  type Logger,
  type SubmitJobDeps,
} from '@receiptflow/core';
import * as z from 'zod';
import { schema } from '../config/schema.js';
import { bodyBytes, errorResult, header, json, type HttpApiEvent, type HttpApiResult } from '../http/api-gateway.js';
import { invalidRequest, jsonBody, mediaType } from '../http/upload-request.js';

/** Direct uploads ride in the request body; API Gateway and Lambda cap that near 6 MB. */
export const MAX_DIRECT_UPLOAD_BYTES = 5 * 1024 * 1024;

export interface UploadReceiptDeps {
  submit: SubmitJobDeps;
  logger: Logger;
  maxDirectUploadBytes?: number;
  maxPixels?: number;
}

const PresignRequest = /* @__PURE__ */ schema(() =>
  z.object({
    filename: z.string().min(1).max(255),
    content_type: z.enum(ACCEPTED_CONTENT_TYPES),
    /** Optional: the upload is then bound to at most this many bytes. */
    size_bytes: z.number().int().min(1).max(MAX_PRESIGNED_UPLOAD_BYTES).optional(),
  }),
);

/**
 * `POST /upload-receipt`: with a JSON body `{filename, content_type, size_bytes?}` → 201 with a
 * presigned `upload` (`{method, url, fields, headers, max_bytes, expires_at}`: a PUT locally, an
 * S3 form POST in AWS) and a PENDING job; with an image body (binary or base64) → a direct
 * upload, filename from `?filename=` or `x-filename`, OCR queued at once. Errors are thrown for
 * the API's error mapping.
 *
 * @example
 * const uploadReceipt = createUploadReceiptHandler({ submit, logger });
 * await uploadReceipt(event, 'alice'); // { statusCode: 201, body: '{"image_id":…,"job_id":…,"upload":{…}}' }
 */
export function createUploadReceiptHandler(deps: UploadReceiptDeps) {
  const maxBytes = deps.maxDirectUploadBytes ?? MAX_DIRECT_UPLOAD_BYTES;

  return async function uploadReceipt(event: HttpApiEvent, owner: string): Promise<HttpApiResult> {
    const contentType = mediaType(event);
    return contentType === 'application/json' ? presign(event, owner) : direct(event, contentType, owner);
  };

  async function presign(event: HttpApiEvent, owner: string): Promise<HttpApiResult> {
    const parsed = PresignRequest.safeParse(jsonBody(event));
    if (!parsed.success) return invalidRequest(parsed.error);
    const result = await submitJob(deps.submit, {
      filename: parsed.data.filename,
      contentType: parsed.data.content_type,
      owner,
      ...(parsed.data.size_bytes === undefined ? {} : { maxBytes: parsed.data.size_bytes }),
    });
    deps.logger.info('upload url issued', { image_id: result.image_id, job_id: result.job_id, s3_key: result.s3_key });
    return json(201, result);
  }

  async function direct(event: HttpApiEvent, contentType: string, owner: string): Promise<HttpApiResult> {
    if (!(ACCEPTED_CONTENT_TYPES as readonly string[]).includes(contentType)) {
      return errorResult(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `content-type "${contentType || '(none)'}" is not accepted; send application/json for a presigned URL or one of ${ACCEPTED_CONTENT_TYPES.join(', ')}`,
      );
    }
    const body = bodyBytes(event);
    if (body.length > maxBytes) {
      return errorResult(
        413,
        'PAYLOAD_TOO_LARGE',
        `body is ${body.length} bytes; direct uploads take at most ${maxBytes} bytes, use a presigned URL for larger images`,
      );
    }
    const filename =
      event.queryStringParameters?.filename ??
      header(event, 'x-filename') ??
      `upload.${(sniffContentType(body) ?? contentType).split('/')[1]}`;
    // submitJob inspects the bytes: not an image, truncated or over the pixel limit is a 400, and
    // bytes of another format than declared a 415 naming both (ContentTypeMismatchError).
    const result = await submitJob(deps.submit, {
      filename,
      contentType,
      body,
      owner,
      ...(deps.maxPixels === undefined ? {} : { maxPixels: deps.maxPixels }),
    });
    deps.logger.info('receipt uploaded', {
      image_id: result.image_id,
      job_id: result.job_id,
      s3_key: result.s3_key,
      bytes: body.length,
    });
    return json(201, result);
  }
}
