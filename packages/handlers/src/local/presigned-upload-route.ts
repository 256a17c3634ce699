import { NotFoundError, type OcrJobStore } from '@receiptflow/core';
import { UploadClosedError } from '../errors.js';
import type { LocalHttpRoutes } from './http-server.js';
import type { PresignedUploadTarget } from './local-adapters.js';

/**
 * `PUT /uploads/...`: the local stand-in for S3 taking a presigned upload. Everything that can
 * be decided without the body is decided first (signature, expiry, type, declared size, replay,
 * and whether the image still waits for its bytes); the body is then stored as the one use of
 * its URL. A PUT for an image whose upload was confirmed (processing started) is refused with
 * UploadClosedError (409): the stored bytes stay the ones OCR read.
 */
export function presignedUploadRoute(raw: PresignedUploadTarget, jobs: OcrJobStore): LocalHttpRoutes['admitUpload'] {
  return async (url, contentType, declaredBytes) => {
    const grant = raw.admitPresignedUpload(url, contentType, declaredBytes);
    await assertAwaitingUpload(jobs, grant.key);
    return {
      maxBytes: grant.maxBytes,
      async commit(body) {
        // Again after the body arrived: /upload-complete may have run meanwhile.
        await assertAwaitingUpload(jobs, grant.key);
        await raw.commitPresignedUpload(grant, body);
      },
    };
  };
}

async function assertAwaitingUpload(jobs: OcrJobStore, key: string): Promise<void> {
  // Raw keys are raw/<image_id>/<file> (core's rawImageKey).
  const imageId = key.split('/')[1] ?? '';
  const image = imageId ? await jobs.getImage(imageId) : null;
  if (!image || image.s3_key !== key) throw new NotFoundError('image awaiting upload', key);
  if (image.upload_state === 'UPLOADED') throw new UploadClosedError(image.image_id);
}
