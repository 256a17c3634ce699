import { confirmUpload, ownedImage, type Logger, type SubmitJobDeps } from '@receiptflow/core';
import * as z from 'zod';
import { schema } from '../config/schema.js';
import { json, type HttpApiEvent, type HttpApiResult } from '../http/api-gateway.js';
import { invalidRequest, jsonBody } from '../http/upload-request.js';

export interface UploadCompleteDeps {
  submit: SubmitJobDeps;
  logger: Logger;
  maxPixels?: number;
}

const ConfirmRequest = /* @__PURE__ */ schema(() => z.object({ image_id: z.string().min(1) }));

/**
 * `POST /upload-complete` `{image_id}`: checks the bytes a presigned upload stored and starts
 * OCR (once, however often it is called). Bad bytes are thrown as InvalidUploadError, which the
 * API answers 422 with a fresh `upload` for the same image; bytes not there yet → 404, and
 * another owner's image → 404 as if it did not exist.
 *
 * @example
 * const uploadComplete = createUploadCompleteHandler({ submit, logger });
 * await uploadComplete(event, 'alice'); // { statusCode: 200, body: '{"image_id":…,"job_id":…,"enqueued":true}' }
 */
export function createUploadCompleteHandler(deps: UploadCompleteDeps) {
  return async function uploadComplete(event: HttpApiEvent, owner: string): Promise<HttpApiResult> {
    const parsed = ConfirmRequest.safeParse(jsonBody(event));
    if (!parsed.success) return invalidRequest(parsed.error);
    await ownedImage(deps.submit.jobs, owner, parsed.data.image_id);
    const result = await confirmUpload(deps.submit, {
      ...parsed.data,
      ...(deps.maxPixels === undefined ? {} : { maxPixels: deps.maxPixels }),
    });
    deps.logger.info('upload completed', {
      image_id: result.image_id,
      job_id: result.job_id,
      enqueued: result.enqueued,
    });
    return json(200, result);
  };
}
