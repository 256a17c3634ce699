import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { S3VectorIndexFiles } from '@receiptflow/adapters-aws/vector';
import { HnswFollowerVectorIndex } from '@receiptflow/adapters-local';
import { uniqueResourceName } from '@receiptflow/devkit/emulators';
import { describe, expect, it } from 'vitest';
import { fauxqsS3 } from './support/fauxqs-s3.js';
import { writesAnswersAndContinues } from './support/index-files-pipeline.js';

const PREFIX = 'vectors/index';

async function keysOf(client: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

describe('the pipeline with VECTOR_STORAGE_MODE=s3 (the index files in a fauxqs bucket)', () => {
  const s3 = fauxqsS3();

  it(
    'compaction writes the index objects under the lock; results answer from them; a new container continues them',
    { timeout: 90_000 },
    async () => {
      const { client } = s3();
      const bucket = uniqueResourceName('vectors');
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      const filesOf = (collection: string) =>
        new S3VectorIndexFiles(client, { bucket, prefix: `${PREFIX}/${collection}` });
      await writesAnswersAndContinues({
        options: (lock) => ({ s3: { client, bucket, prefix: PREFIX, checkpointEvery: 1, ...(lock ? { lock } : {}) } }),
        // A cold container reading the bucket, sharing nothing with the pipeline.
        follower: (collection) =>
          new HnswFollowerVectorIndex({ files: filesOf(collection), dimensions: 512, refreshAfterMs: 0 }),
        manifest: async (collection) => {
          const out = await client.send(
            new GetObjectCommand({ Bucket: bucket, Key: `${PREFIX}/${collection}/manifest.json` }),
          );
          return JSON.parse(await out.Body!.transformToString()).p;
        },
        snapshotCount: async () => (await filesOf('lines').listSnapshots()).filter((s) => s.complete).length,
      });
      // Every object is under the two collections' prefixes (what the functions' IAM is to grant).
      const keys = await keysOf(client, bucket);
      expect(keys.some((k) => k.startsWith(`${PREFIX}/lines/`))).toBe(true);
      expect(keys.some((k) => k.startsWith(`${PREFIX}/words/`))).toBe(true);
      expect(keys.filter((k) => !/^vectors\/index\/(lines|words)\//.test(k))).toEqual([]);
    },
  );
});
