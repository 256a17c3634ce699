import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SystemClock } from '@receiptflow/adapters-local';
import { ChromaVectorIndex } from '@receiptflow/adapters-aws/chroma';
import { DynamoDbCompactionLock, DynamoDbSnapshotStore } from '@receiptflow/adapters-aws/dynamodb';
import { S3ImageStore } from '@receiptflow/adapters-aws/s3';
import {
  CollectionSchema,
  UsageError,
  listVectorSnapshots,
  restoreVectorSnapshot,
  verifyVectorSnapshot,
  type Collection,
} from '@receiptflow/core';
import { type Print } from '../args.js';
import { chromaClient } from '../../container/aws/chroma-client.js';
import { clientConfig } from '../../container/aws/clients.js';

export interface ServerRestoreFlags {
  chroma: string;
  bucket?: string | undefined;
  table?: string | undefined;
  collection?: string | undefined;
  tenant?: string | undefined;
  database?: string | undefined;
  dimensions?: string | undefined;
  region?: string | undefined;
  endpoint?: string | undefined;
  'table-endpoint'?: string | undefined;
  snapshot?: string | undefined;
  list: boolean;
  /** The Chroma token, from the environment (CHROMA_AUTH_TOKEN), never a flag: flags end up in shell history. */
  authToken?: string | undefined;
}

/**
 * `receipts restore --chroma URL --bucket VECTORS_BUCKET --table TABLE --collection lines|words
 * [--tenant T] [--database D] [--dimensions 512] [--region R] [--endpoint S3_URL] [--table-endpoint DYNAMODB_URL]
 * (--list | --snapshot ID)`:
 * server mode (Chroma). `--list` prints the collection's snapshot files (checked: id, count,
 * bytes, and which one the pointer names); `--snapshot ID` runs core's restoreVectorSnapshot
 * under the collection's compaction lock in the job table (a compactor holding it makes the
 * restore refuse with LOCK_BUSY), loading the file into a fresh collection and swapping it in.
 */
export async function restoreServerCommand(flags: ServerRestoreFlags, out: Print): Promise<number> {
  if (!flags.bucket) throw new UsageError('restore --chroma needs --bucket VECTORS_BUCKET (where snapshots/ is)');
  if (!flags.table) throw new UsageError('restore --chroma needs --table TABLE (the job table: lock and pointer)');
  const parsed = CollectionSchema.safeParse(flags.collection);
  if (!parsed.success) throw new UsageError('restore --chroma needs --collection lines or --collection words');
  const collection: Collection = parsed.data;
  const dimensions = Number(flags.dimensions ?? '512');
  if (!Number.isInteger(dimensions) || dimensions < 1)
    throw new UsageError(`--dimensions must be a positive integer, got "${flags.dimensions}"`);
  const region = flags.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
  if (!region) throw new UsageError('restore --chroma needs --region R (or AWS_REGION)');
  const s3 = new S3Client({
    ...clientConfig({ region, ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) }),
    forcePathStyle: Boolean(flags.endpoint),
  });
  const tableEndpoint = flags['table-endpoint'];
  const dynamo = new DynamoDBClient(clientConfig({ region, ...(tableEndpoint ? { endpoint: tableEndpoint } : {}) }));
  const doc = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true },
  });
  try {
    const clock = new SystemClock();
    const store = new S3ImageStore(s3, { bucket: flags.bucket });
    const snapshots = new DynamoDbSnapshotStore(doc, { tableName: flags.table, clock });
    if (flags.list) {
      const current = await snapshots.current(collection);
      const stored = await listVectorSnapshots(store, collection);
      if (stored.length === 0) out(`no snapshots of ${collection} in s3://${flags.bucket}/snapshots/${collection}/`);
      for (const s of stored) {
        const info = await verifyVectorSnapshot(store, collection, s.id).then(
          (i) => `count=${i.count}\tbytes=${i.bytes}`,
          (error: unknown) => `UNREADABLE: ${error instanceof Error ? error.message : String(error)}`,
        );
        out(`${s.id}\t${info}${current?.snapshot_key === s.key ? '\t(pointer)' : ''}`);
      }
      return 0;
    }
    const chroma = new ChromaVectorIndex(
      chromaClient(flags.chroma, {
        ...(flags.authToken ? { authToken: flags.authToken } : {}),
        ...(flags.tenant ? { tenant: flags.tenant } : {}),
        ...(flags.database ? { database: flags.database } : {}),
      }),
      { dimensions },
    );
    const outcome = await restoreVectorSnapshot(
      {
        transfer: chroma,
        vectors: chroma,
        store,
        dimensions,
        lock: new DynamoDbCompactionLock(doc, { tableName: flags.table, clock }),
        snapshots,
        clock,
      },
      collection,
      flags.snapshot!,
      { owner: `receipts-restore-${process.pid}` },
    );
    out(
      `restored snapshot ${outcome.restored.id} of ${collection}: ${outcome.restored.count} vectors` +
        (outcome.undo ? `; the state before it is snapshot ${outcome.undo.id}` : ''),
    );
    return 0;
  } finally {
    s3.destroy();
    doc.destroy();
    dynamo.destroy();
  }
}
