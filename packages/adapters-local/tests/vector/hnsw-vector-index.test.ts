import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeVectorIndexContract } from '@receiptflow/core/testing';
import { HnswVectorIndex } from '../../src/vector/hnsw-vector-index.js';

describeVectorIndexContract('HnswVectorIndex (in memory)', async () => ({ subject: new HnswVectorIndex() }));

describeVectorIndexContract('HnswVectorIndex (persisted, via constructor)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rf-hnsw-'));
  const subject = new HnswVectorIndex({ dir, fsync: false });
  return { subject, cleanup: async () => (await subject.close(), rm(dir, { recursive: true, force: true })) };
});

describeVectorIndexContract('HnswVectorIndex (persisted, reopened after every write)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rf-hnsw-'));
  const subject = await ReopeningIndex.create(dir);
  return { subject, cleanup: async () => (await subject.close(), rm(dir, { recursive: true, force: true })) };
});

/**
 * Every call goes to a freshly opened index, so the contract runs against replayed state. Calls
 * are serialised: one process (one open index) owns a directory at a time.
 */
class ReopeningIndex {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private current: HnswVectorIndex,
  ) {}

  static async create(dir: string) {
    return new ReopeningIndex(dir, await HnswVectorIndex.open(dir, { fsync: false }));
  }

  private run<T>(call: (index: HnswVectorIndex) => Promise<T>): Promise<T> {
    const next = this.chain.then(async () => {
      await this.current.close();
      this.current = await HnswVectorIndex.open(this.dir, { fsync: false });
      return call(this.current);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  close = () => this.run(async () => undefined).then(() => this.current.close());
  upsert: HnswVectorIndex['upsert'] = (...a) => this.run((i) => i.upsert(...a));
  delete: HnswVectorIndex['delete'] = (...a) => this.run((i) => i.delete(...a));
  deleteWhere: HnswVectorIndex['deleteWhere'] = (...a) => this.run((i) => i.deleteWhere(...a));
  updateMetadata: HnswVectorIndex['updateMetadata'] = (...a) => this.run((i) => i.updateMetadata(...a));
  get: HnswVectorIndex['get'] = (...a) => this.run((i) => i.get(...a));
  findIds: HnswVectorIndex['findIds'] = (...a) => this.run((i) => i.findIds(...a));
  query: HnswVectorIndex['query'] = (...a) => this.run((i) => i.query(...a));
  count: HnswVectorIndex['count'] = (...a) => this.run((i) => i.count(...a));
}
