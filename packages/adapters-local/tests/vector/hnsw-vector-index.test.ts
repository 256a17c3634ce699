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

/** Every read goes to a freshly opened index, so the contract runs against replayed state. */
class ReopeningIndex {
  private constructor(
    private readonly dir: string,
    private current: HnswVectorIndex,
  ) {}

  static async create(dir: string) {
    return new ReopeningIndex(dir, await HnswVectorIndex.open(dir, { fsync: false }));
  }

  private async reopened(): Promise<HnswVectorIndex> {
    await this.current.close();
    this.current = await HnswVectorIndex.open(this.dir, { fsync: false });
    return this.current;
  }

  close = () => this.current.close();
  upsert: HnswVectorIndex['upsert'] = async (...a) => (await this.reopened()).upsert(...a);
  delete: HnswVectorIndex['delete'] = async (...a) => (await this.reopened()).delete(...a);
  deleteWhere: HnswVectorIndex['deleteWhere'] = async (...a) => (await this.reopened()).deleteWhere(...a);
  updateMetadata: HnswVectorIndex['updateMetadata'] = async (...a) => (await this.reopened()).updateMetadata(...a);
  get: HnswVectorIndex['get'] = async (...a) => (await this.reopened()).get(...a);
  findIds: HnswVectorIndex['findIds'] = async (...a) => (await this.reopened()).findIds(...a);
  query: HnswVectorIndex['query'] = async (...a) => (await this.reopened()).query(...a);
  count: HnswVectorIndex['count'] = async (...a) => (await this.reopened()).count(...a);
}
