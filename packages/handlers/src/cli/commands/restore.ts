import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { HnswVectorIndex } from '@receiptflow/adapters-local';
import { S3VectorIndexFiles } from '@receiptflow/adapters-aws/vector';
import { UsageError, type VectorIndexFiles } from '@receiptflow/core';
import { parseFlags, type Print } from '../args.js';
import { clientConfig } from '../../container/aws/clients.js';
import { restoreServerCommand } from './restore-server.js';

/**
 * `receipts restore --data DIR (--list | --snapshot ID)`: lists the vector index's snapshots,
 * or makes one of them the live state. `receipts serve` must not be running on DIR (the index
 * directory's owner lock refuses it). Operations logged since the last snapshot are first
 * folded into a new snapshot, so restoring that newest id undoes a restore.
 *
 * `receipts restore --s3 s3://BUCKET/PREFIX [--region R] [--endpoint URL] (--list | --snapshot ID)`:
 * the same on an s3-mode index, one collection prefix at a time (`<VECTOR_PREFIX>/lines`, then
 * `/words`), through `S3VectorIndexFiles` with the default AWS credentials. Compaction must be
 * stopped (there is no owner lock on S3); a manifest swapped meanwhile makes the restore refuse
 * (`StaleFencingTokenError`), and the manifest keeps its fencing token for the next lease.
 *
 * `receipts restore --chroma URL --bucket B --table T --collection lines|words ...`: server
 * mode, see restore-server.ts.
 */
export async function restoreCommand(argv: string[], out: Print): Promise<number> {
  const { values } = parseFlags(argv, {
    data: { type: 'string' },
    s3: { type: 'string' },
    region: { type: 'string' },
    endpoint: { type: 'string' },
    snapshot: { type: 'string' },
    list: { type: 'boolean', default: false },
    chroma: { type: 'string' },
    bucket: { type: 'string' },
    table: { type: 'string' },
    collection: { type: 'string' },
    tenant: { type: 'string' },
    database: { type: 'string' },
    dimensions: { type: 'string' },
    'table-endpoint': { type: 'string' },
  });
  if ([values.data, values.s3, values.chroma].filter((v) => v !== undefined).length !== 1)
    throw new UsageError(
      'restore needs exactly one of --data DIR (the directory `receipts serve --data` used), --s3 s3://BUCKET/PREFIX (an s3-mode collection prefix) or --chroma URL (server mode)',
    );
  if (values.list === (values.snapshot !== undefined))
    throw new UsageError('restore needs exactly one of --list or --snapshot ID');
  if (values.chroma !== undefined)
    return restoreServerCommand(
      { ...values, chroma: values.chroma, list: values.list, authToken: process.env['CHROMA_AUTH_TOKEN'] },
      out,
    );
  for (const flag of ['bucket', 'table', 'collection', 'tenant', 'database', 'dimensions', 'table-endpoint'] as const)
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is only for restore --chroma (server mode)`);
  let target: string | VectorIndexFiles;
  let client: S3Client | undefined;
  if (values.data !== undefined) {
    target = join(values.data, 'vectors');
  } else {
    const match = /^s3:\/\/([^/]+)\/(.+?)\/?$/.exec(values.s3!);
    if (!match) throw new UsageError(`--s3 must be s3://BUCKET/PREFIX (a collection prefix), got "${values.s3}"`);
    const region = values.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
    if (!region) throw new UsageError('restore --s3 needs --region R (or AWS_REGION)');
    client = new S3Client({
      ...clientConfig({ region, ...(values.endpoint ? { endpoint: values.endpoint } : {}) }),
      forcePathStyle: Boolean(values.endpoint),
    });
    target = new S3VectorIndexFiles(client, { bucket: match[1]!, prefix: match[2]! });
  }
  const where = typeof target === 'string' ? target : target.location;
  try {
    if (values.list) {
      const snapshots = await HnswVectorIndex.listSnapshots(target);
      if (snapshots.length === 0) out(`no snapshots in ${where}`);
      for (const s of snapshots) {
        out(`${s.id}\t${s.created_at}\tlines=${s.collections.lines.count}\twords=${s.collections.words.count}`);
      }
      return 0;
    }
    const restored = await HnswVectorIndex.restoreSnapshot(target, values.snapshot!);
    out(
      `restored snapshot ${restored.id} (${restored.created_at}): lines=${restored.collections.lines.count} words=${restored.collections.words.count}`,
    );
    return 0;
  } finally {
    client?.destroy();
  }
}
