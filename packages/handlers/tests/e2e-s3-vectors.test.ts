import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { S3VectorIndexFiles } from '@receiptflow/adapters-aws/vector';
import { HnswFollowerVectorIndex } from '@receiptflow/adapters-local';
import { createBucket } from '@receiptflow/devkit/emulators';
import { describe, expect, it } from 'vitest';
import { VECTOR_INDEX_PREFIX } from '../../infra/src/plan.js';
import { policyStatements } from '../../infra/src/iam-policies.js';
import { fauxqsS3 } from '@receiptflow/devkit/emulators/suite';
import { isAllowed, unusedGrants } from './support/iam-evaluate.js';
import { iamRequests, policyArnsWithVectorsBucket } from './support/iam-requests.js';
import { writesAnswersAndContinues } from './support/index-files-pipeline.js';
import { SdkCallRecorder } from './support/sdk-call-recorder.js';

// The prefix the stack deploys (VECTOR_PREFIX), so the IAM check below is of the real layout.
const PREFIX = VECTOR_INDEX_PREFIX;

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
      // Every call the results and compaction handlers make on the bucket, for the IAM check.
      const recorder = new SdkCallRecorder();
      recorder.attach(client);
      const bucket = await createBucket(client, 'vectors');
      const filesOf = (collection: string) =>
        new S3VectorIndexFiles(client, { bucket, prefix: `${PREFIX}/${collection}` });
      await writesAnswersAndContinues({
        options: (lock) => ({
          // One snapshot kept, so that compaction also prunes (deletes) objects in this run.
          s3: { client, bucket, prefix: PREFIX, checkpointEvery: 1, keepSnapshots: 1, ...(lock ? { lock } : {}) },
          recorder,
        }),
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
      expect(keys.filter((k) => !new RegExp(`^${PREFIX}/(lines|words)/`).test(k))).toEqual([]);

      // IAM from real usage (docs/adapters.md#iam-from-real-usage): each function's s3-mode role
      // allows every call its handler made on the index, and each index grant was used.
      for (const fn of ['process-ocr-results', 'compaction'] as const) {
        const requests = recorder.calls.filter((c) => c.fn === fn).flatMap(iamRequests);
        expect(requests.length, fn).toBeGreaterThan(0);
        const statements = policyStatements(fn, policyArnsWithVectorsBucket(bucket), {
          inVpc: true,
          vectorIndexPrefix: PREFIX,
        });
        expect(
          requests.filter((r) => !isAllowed(statements, r)).map((r) => `${fn}: ${r.action} on ${r.resource}`),
        ).toEqual([]);
        const index = statements.filter((st) => /VectorIndex$/.test(st.Sid));
        expect(index.map((st) => st.Sid).sort(), fn).toEqual(
          fn === 'compaction' ? ['ListVectorIndex', 'WriteVectorIndex'] : ['ListVectorIndex', 'ReadVectorIndex'],
        );
        expect(unusedGrants(index, requests).map((u) => `${fn}: ${u.sid} ${u.grant}`)).toEqual([]);
      }
    },
  );
});
