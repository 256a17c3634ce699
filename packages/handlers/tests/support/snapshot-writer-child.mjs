// A compaction container writing a server-mode snapshot, as a real process, so that a test can
// SIGKILL it part-way through the upload (tests/server-snapshots.test.ts). It streams the Chroma
// collection into the vectors bucket exactly as compaction does (writeVectorSnapshot), and
// stops for good after PAUSE_AFTER_PAGES pages, printing "paused" (and "uploaded a part" for each
// part S3 took) so the test knows when to kill.
import { register } from 'tsx/esm/api';

register();
const { S3Client } = await import('@aws-sdk/client-s3');
const { S3ImageStore } = await import('@receiptflow/adapters-aws/s3');
const { ChromaVectorIndex } = await import('@receiptflow/adapters-aws/chroma');
const { writeVectorSnapshot } = await import('@receiptflow/core');
const { chromaClient } = await import('../../src/container/aws/chroma-client.ts');

const env = process.env;
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: env.S3_ENDPOINT,
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
// Tells the test each part that S3 took, so it kills the process with the upload under way.
s3.middlewareStack.add(
  (next, context) => async (args) => {
    const result = await next(args);
    if (context.commandName === 'UploadPartCommand') process.stderr.write('uploaded a part\n');
    return result;
  },
  { step: 'initialize', name: 'partReporter' },
);
const vectors = new ChromaVectorIndex(chromaClient(env.CHROMA_URL), {
  collectionPrefix: env.PREFIX,
  dimensions: Number(env.DIMS),
});
const pauseAfter = Number(env.PAUSE_AFTER_PAGES);
const transfer = {
  async *scan(collection, options) {
    let pages = 0;
    for await (const page of vectors.scan(collection, options)) {
      yield page;
      if (++pages === pauseAfter) {
        process.stderr.write(`paused after ${pages} pages\n`);
        await new Promise(() => {}); // killed here
      }
    }
  },
  replaceCollection: () => Promise.reject(new Error('not used')),
};
await writeVectorSnapshot(
  {
    transfer,
    vectors,
    store: new S3ImageStore(s3, { bucket: env.BUCKET }),
    dimensions: Number(env.DIMS),
    pageSize: 100,
  },
  'lines',
  env.SNAPSHOT_ID,
);
process.stderr.write('finished\n');
