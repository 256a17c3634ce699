import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig, instrumented, type AwsClientSettings } from './clients.js';

/**
 * One S3 client for a function's buckets, built on first use: path-style against an emulator
 * endpoint, and handed to `settings.instrument` (the IAM test records its calls). Its own file
 * so that functions without S3 never import the S3 SDK at init.
 *
 * @example
 * const s3 = lazyS3Client(settings);
 * options.bind(TOKENS.RawImages).toDynamicValue(() => new S3ImageStore(s3(), { bucket: config.RAW_BUCKET }));
 */
export function lazyS3Client(settings: AwsClientSettings): () => S3Client {
  let s3: S3Client | undefined;
  return () =>
    (s3 ??= instrumented(
      new S3Client({ ...clientConfig(settings), forcePathStyle: Boolean(settings.endpoint) }),
      settings,
    ));
}
