import {
  ChromaNotFoundError,
  ChromaUniqueError,
  type ChromaClient,
  type Collection as ChromaCollection,
  type Metadata,
} from 'chromadb';
import {
  ConfigError,
  DependencyError,
  type Clock,
  IncompleteWriteError,
  ValidationError,
  type Collection,
  type MetadataFilter,
  type VectorCollectionTransfer,
  type VectorIndex,
  type VectorMatch,
  type VectorMetadata,
  type VectorQuery,
  type VectorRecord,
} from '@receiptflow/core';
import {
  EMPTY_METADATA_MARKER,
  fromChromaMetadata,
  sameMetadata,
  toChromaMetadata,
  withoutNulls,
} from './chroma-metadata.js';
import { toChromaWhere } from './chroma-where.js';
import { ChromaRequests, DEFAULT_CHROMA_RETRY_POLICY, type ChromaRetryPolicy } from './chroma-requests.js';
import { openCosineCollection } from './open-cosine-collection.js';

export interface ChromaVectorIndexConfig {
  /** Prepended to `lines` / `words` to name the Chroma collections. Default `''`. */
  collectionPrefix?: string;
  /**
   * Most records sent in one request. Default 300 (Chroma Cloud's per-request limit), and never
   * more than the server's own `max_batch_size`.
   */
  maxBatchSize?: number;
  /** If set, every vector written or queried must have this length. */
  dimensions?: number;
  /**
   * Per attempt of one Chroma call: past it, the attempt's HTTP requests are aborted and the
   * attempt counts as a transient failure. Default 30 s.
   */
  requestTimeoutMs?: number;
  /** Attempts per Chroma call, the first included; only transient failures are retried. Default 3. */
  maxAttempts?: number;
  /** First wait between attempts (doubling, equal jitter). Default 250 ms. */
  retryBaseDelayMs?: number;
  /** Longest wait between attempts. Default 4 s. */
  retryMaxDelayMs?: number;
  /** Sleeps between attempts. Default real timers; tests pass a fake clock. */
  clock?: Pick<Clock, 'sleep'>;
  /** Jitter source, 0 ≤ x < 1. Default Math.random. */
  random?: () => number;
}

/** Sleeps on real timers; the default when no clock is given. */
const TIMER_SLEEP: Pick<Clock, 'sleep'> = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Chroma's rule for collection names. */
const COLLECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$/;
const DEFAULT_MAX_BATCH_SIZE = 300;
const MAX_K = 100;

interface StoredRecord {
  id: string;
  vector: number[];
  document: string;
  metadata: VectorMetadata;
}

/**
 * {@link VectorIndex} over a Chroma server (chromadb JS client), one cosine-space collection per
 * port collection, created lazily. Writes are batched under the server's limits and every write
 * is read back and counted, so a server that silently drops records raises
 * {@link IncompleteWriteError} instead of losing data.
 *
 * Replace semantics: Chroma merges metadata on upsert/update and the JS client strips `null`
 * values, so it can never remove a key in place. Records that must lose keys are deleted and
 * re-added with their full content (briefly absent from queries; see docs/adapters.md).
 */
export class ChromaVectorIndex implements VectorIndex, VectorCollectionTransfer {
  private readonly prefix: string;
  private readonly configuredBatchSize: number;
  private readonly requests: ChromaRequests;
  private readonly dimensions: number | undefined;
  private readonly collections = new Map<Collection, Promise<ChromaCollection>>();
  private batchSizePromise: Promise<number> | undefined;

  /**
   * Checks the collection names `prefix + lines|words` now (throws ConfigError); the collections
   * themselves are created on first use.
   *
   * @example
   * const index = new ChromaVectorIndex(new ChromaClient({ path: 'http://127.0.0.1:8000' }), {
   *   collectionPrefix: 'prod_',
   *   dimensions: 512,
   * });
   * await index.upsert('lines', records);
   */
  constructor(
    private readonly client: ChromaClient,
    config: ChromaVectorIndexConfig = {},
  ) {
    this.prefix = config.collectionPrefix ?? '';
    for (const collection of ['lines', 'words'] as const) {
      if (!COLLECTION_NAME.test(this.prefix + collection)) {
        throw new ConfigError(
          `collectionPrefix "${this.prefix}" makes an invalid Chroma collection name ` +
            `"${this.prefix}${collection}" (3-512 of [A-Za-z0-9._-], starting with a letter or digit)`,
        );
      }
    }
    this.configuredBatchSize = positiveInteger(config.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE, 'maxBatchSize');
    const d = DEFAULT_CHROMA_RETRY_POLICY;
    this.requests = new ChromaRequests(
      client,
      {
        requestTimeoutMs: config.requestTimeoutMs ?? d.requestTimeoutMs,
        maxAttempts: config.maxAttempts ?? d.maxAttempts,
        baseDelayMs: config.retryBaseDelayMs ?? d.baseDelayMs,
        maxDelayMs: config.retryMaxDelayMs ?? d.maxDelayMs,
      },
      config.clock ?? TIMER_SLEEP,
      config.random,
    );
    this.dimensions = config.dimensions === undefined ? undefined : positiveInteger(config.dimensions, 'dimensions');
  }

  /** How each Chroma call is bounded and retried, as configured. */
  get retryPolicy(): ChromaRetryPolicy {
    return { ...this.requests.policy };
  }

  /** The longest one Chroma call can take: every attempt timing out, the longest waits between. */
  worstCaseCallMs(): number {
    return this.requests.worstCaseMs();
  }

  async upsert(collection: Collection, records: VectorRecord[]): Promise<void> {
    // Chroma rejects duplicate ids in one request; the last record for an id wins.
    const byId = new Map<string, VectorRecord>();
    for (const record of records) {
      this.checkRecord(record);
      byId.delete(record.id);
      byId.set(record.id, record);
    }
    const unique = [...byId.values()];
    if (unique.length === 0) return;
    // Without configured dimensions, at least refuse a call that mixes lengths before anything
    // is written (the server would reject only the batch holding the odd record).
    const length = unique[0]!.vector.length;
    const odd = unique.find((r) => r.vector.length !== length);
    if (odd) {
      throw new ValidationError(
        `record ${odd.id}: vector has ${odd.vector.length} dimensions, others in the call have ${length}`,
      );
    }
    const target = await this.collection(collection);
    const action = `upsert into ${target.name}`;
    for (const batch of chunk(unique, await this.batchSize())) {
      const ids = batch.map((r) => r.id);
      const existing = await this.call(action, collection, () => target.get({ ids, include: ['metadatas'] }));
      // Upsert merges into existing metadata; a record that must lose keys is re-added instead.
      const mustLoseKeys = new Set<string>();
      existing.ids.forEach((id, i) => {
        const kept = withoutNulls(byId.get(id)!.metadata);
        const stored = fromChromaMetadata(existing.metadatas[i]);
        if (Object.keys(stored).some((key) => !(key in kept))) mustLoseKeys.add(id);
      });
      if (mustLoseKeys.size > 0) {
        await this.call(action, collection, () => target.delete({ ids: [...mustLoseKeys] }));
      }
      await this.call(action, collection, () =>
        target.upsert({
          ids,
          embeddings: batch.map((r) => r.vector),
          documents: batch.map((r) => r.document),
          metadatas: batch.map((r) => toChromaMetadata(r.metadata)),
        }),
      );
    }
    // docs/lessons.md#lesson-2-a-merge-that-lost-data-was-marked-done: count what is really there, with the metadata that was meant.
    const stored = await this.read(collection, target, [...byId.keys()], ['metadatas']);
    const correct = stored.filter((r) => sameMetadata(r.metadata, withoutNulls(byId.get(r.id)!.metadata)));
    if (correct.length < unique.length) {
      throw new IncompleteWriteError(unique.length, correct.length, `chroma ${action}`);
    }
  }

  async delete(collection: Collection, ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const target = await this.collection(collection);
    const action = `delete from ${target.name}`;
    for (const batch of chunk(unique, await this.batchSize())) {
      await this.call(action, collection, () => target.delete({ ids: batch }));
    }
    const left = await this.read(collection, target, unique, []);
    if (left.length > 0) {
      throw new IncompleteWriteError(
        unique.length,
        unique.length - left.length,
        `chroma ${action} (${left.length} records still present)`,
      );
    }
  }

  async deleteWhere(collection: Collection, where: MetadataFilter): Promise<number> {
    // Chroma's delete-by-where reports `deleted: 0` whatever it removed, so find the ids first:
    // that gives the count, and the delete is verified by id like any other.
    const ids = await this.findIds(collection, where);
    await this.delete(collection, ids);
    return ids.length;
  }

  async get(collection: Collection, ids: string[]): Promise<VectorRecord[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const target = await this.collection(collection);
    const found = await this.read(collection, target, unique, ['embeddings', 'documents', 'metadatas']);
    const byId = new Map(found.map((r) => [r.id, r]));
    return unique.flatMap((id) => {
      const record = byId.get(id);
      return record ? [record] : [];
    });
  }

  async findIds(collection: Collection, where: MetadataFilter): Promise<string[]> {
    const target = await this.collection(collection);
    const pageSize = await this.batchSize();
    const chromaWhere = toChromaWhere(where);
    const ids: string[] = [];
    // Paged, so that no single answer exceeds what the server allows per request.
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.call(`find ids in ${target.name}`, collection, () =>
        target.get({ where: chromaWhere, include: [], limit: pageSize, offset }),
      );
      ids.push(...page.ids);
      if (page.ids.length < pageSize) return ids;
    }
  }

  async updateMetadata(collection: Collection, ids: string[], patch: VectorMetadata): Promise<number> {
    if (EMPTY_METADATA_MARKER in patch) {
      throw new ValidationError(`metadata key ${EMPTY_METADATA_MARKER} is reserved`);
    }
    const unique = [...new Set(ids)];
    if (unique.length === 0) return 0;
    const target = await this.collection(collection);
    const action = `update metadata in ${target.name}`;
    const current = await this.read(collection, target, unique, ['embeddings', 'documents', 'metadatas']);
    const additions = withoutNulls(patch);
    const removals = Object.keys(patch).filter((key) => patch[key] === null);
    const expected = new Map<string, VectorMetadata>();
    const merged: StoredRecord[] = [];
    const lose: StoredRecord[] = [];
    for (const record of current) {
      const next = { ...record.metadata, ...additions };
      for (const key of removals) delete next[key];
      expected.set(record.id, next);
      const entry = { ...record, metadata: next };
      (removals.some((key) => key in record.metadata) ? lose : merged).push(entry);
    }
    const batchSize = await this.batchSize();
    if (Object.keys(additions).length > 0) {
      // Chroma's update merges, which is exactly the port's semantics for keys that are set.
      for (const batch of chunk(merged, batchSize)) {
        await this.call(action, collection, () =>
          target.update({
            ids: batch.map((r) => r.id),
            metadatas: batch.map(() => toChromaMetadata(additions)),
          }),
        );
      }
    }
    // Removing a key is only possible by replacing the whole record (see the class comment).
    for (const batch of chunk(lose, batchSize)) {
      await this.call(action, collection, () => target.delete({ ids: batch.map((r) => r.id) }));
      await this.call(action, collection, () =>
        target.upsert({
          ids: batch.map((r) => r.id),
          embeddings: batch.map((r) => r.vector),
          documents: batch.map((r) => r.document),
          metadatas: batch.map((r) => toChromaMetadata(r.metadata)),
        }),
      );
    }
    const after = await this.read(collection, target, [...expected.keys()], ['metadatas']);
    const correct = after.filter((r) => sameMetadata(r.metadata, expected.get(r.id)!));
    if (correct.length < expected.size) {
      throw new IncompleteWriteError(expected.size, correct.length, `chroma ${action}`);
    }
    return expected.size;
  }

  async query(collection: Collection, query: VectorQuery): Promise<VectorMatch[]> {
    if (!Number.isInteger(query.k) || query.k < 1 || query.k > MAX_K) {
      throw new ValidationError(`query k must be an integer from 1 to ${MAX_K}, got ${query.k}`);
    }
    this.checkVector(query.vector, 'query vector');
    const target = await this.collection(collection);
    const result = await this.call(`query ${target.name}`, collection, () =>
      target.query({
        queryEmbeddings: [query.vector],
        nResults: query.k,
        where: query.where ? toChromaWhere(query.where) : undefined,
        include: ['distances', 'documents', 'metadatas'],
      }),
    );
    const ids = result.ids[0] ?? [];
    return ids.map((id, i) => ({
      id,
      // Chroma's cosine distance is 1 - cosine similarity.
      score: 1 - (result.distances[0]?.[i] ?? 1),
      document: result.documents[0]?.[i] ?? '',
      metadata: fromChromaMetadata(result.metadatas[0]?.[i]),
    }));
  }

  async count(collection: Collection): Promise<number> {
    const target = await this.collection(collection);
    return this.call(`count ${target.name}`, collection, () => target.count());
  }

  /**
   * Every record, a page at a time (Chroma `get` with `limit`/`offset`, at most the server's
   * batch size per page), for a server-mode snapshot. The caller holds the compaction lock, so
   * the collection does not change between pages.
   */
  async *scan(collection: Collection, options: { pageSize?: number } = {}): AsyncGenerator<VectorRecord[]> {
    const target = await this.collection(collection);
    const serverMax = await this.batchSize();
    const pageSize =
      options.pageSize === undefined ? serverMax : Math.min(positiveInteger(options.pageSize, 'pageSize'), serverMax);
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.call(`scan ${target.name}`, collection, () =>
        target.get({ include: ['embeddings', 'documents', 'metadatas'], limit: pageSize, offset }),
      );
      const records = page.ids.map((id, i) => ({
        id,
        vector: page.embeddings[i] ?? [],
        document: page.documents[i] ?? '',
        metadata: fromChromaMetadata(page.metadatas[i] as Metadata | null | undefined),
      }));
      if (records.length > 0) yield records;
      if (page.ids.length < pageSize) return;
    }
  }

  /**
   * Fresh collection, then swap (a server-mode restore): the pages are added to
   * `<name>.restore-<stamp>`, which no reader opens, and counted; only then is the live
   * collection renamed to `<name>.replaced-<stamp>` and the new one renamed to `<name>`, and the
   * old one deleted. Readers that hold the old collection's handle keep reading it, whole, until
   * it is deleted; their next call then fails retryably (TransientDependencyError, as after any
   * deletion of the collection) and drops the handle, and the call after opens the restored one
   * by name. Between the two renames (two requests) the name is free: a reader that
   * opens it then creates an empty collection, which is removed and the rename retried (if
   * something was written into it, the swap stops with DependencyError and both collections stay
   * for an operator). Clear-and-load in place would instead show readers a half-loaded
   * collection for the whole load. On any failure before the swap the new collection is deleted
   * and the live one is untouched.
   */
  async replaceCollection(
    collection: Collection,
    pages: AsyncIterable<VectorRecord[]>,
    options: { expectedCount: number; beforeSwap?: () => Promise<void> },
  ): Promise<number> {
    const live = this.prefix + collection;
    const stamp = Date.now().toString(36);
    const stagingName = `${live}.restore-${stamp}`;
    const oldName = `${live}.replaced-${stamp}`;
    const staging = await openCosineCollection(this.client, stagingName, this.requests);
    const action = `load ${stagingName}`;
    let count: number;
    try {
      const batchSize = await this.batchSize();
      for await (const page of pages) {
        for (const record of page) this.checkRecord(record);
        for (const batch of chunk(page, batchSize)) {
          await this.call(action, collection, () =>
            staging.upsert({
              ids: batch.map((r) => r.id),
              embeddings: batch.map((r) => r.vector),
              documents: batch.map((r) => r.document),
              metadatas: batch.map((r) => toChromaMetadata(r.metadata)),
            }),
          );
        }
      }
      count = await this.call(`count ${stagingName}`, collection, () => staging.count());
      if (count !== options.expectedCount)
        throw new IncompleteWriteError(options.expectedCount, count, `chroma ${action}`);
      await options.beforeSwap?.();
    } catch (error) {
      await this.dropCollection(stagingName);
      throw error;
    }
    let absent = false;
    const old = await this.requests
      .run(`open ${live}`, () => this.client.getCollection({ name: live }), {
        onError: (error) => (absent = error instanceof ChromaNotFoundError),
      })
      .catch((error: unknown) => {
        if (absent) return null;
        throw error;
      });
    if (old) await this.requests.run(`rename ${live} to ${oldName}`, () => old.modify({ name: oldName }));
    await this.renameIntoFreeName(staging, live);
    this.collections.delete(collection);
    if (old) await this.dropCollection(oldName);
    return count;
  }

  /** Renames `from` to `name`, removing an empty collection a reader created under `name` meanwhile. */
  private async renameIntoFreeName(from: ChromaCollection, name: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.requests.run(`rename ${from.name} to ${name}`, () => from.modify({ name }));
        return;
      } catch (error) {
        if (!(error instanceof ChromaUniqueError) && !/exists/i.test(String(error))) throw error;
        const intruder = await this.requests.run(`open ${name}`, () => this.client.getCollection({ name }));
        const held = await this.requests.run(`count ${name}`, () => intruder.count());
        if (held > 0 || attempt >= 3)
          throw new DependencyError(
            'chroma',
            `collection ${name} was recreated with ${held} records during the swap; the restored data is in ${from.name}`,
            { cause: error },
          );
        await this.dropCollection(name);
      }
    }
  }

  private async dropCollection(name: string): Promise<void> {
    let absent = false;
    await this.requests
      .run(`delete collection ${name}`, () => this.client.deleteCollection({ name }), {
        onError: (error) => (absent = error instanceof ChromaNotFoundError),
      })
      .catch((error: unknown) => {
        if (!absent) throw error;
      });
  }

  /** The Chroma collection for a port collection, created on first use and cached. */
  private collection(collection: Collection): Promise<ChromaCollection> {
    let pending = this.collections.get(collection);
    if (!pending) {
      pending = openCosineCollection(this.client, this.prefix + collection, this.requests);
      // A failed open is not cached, so the next call tries again.
      pending.catch(() => this.collections.delete(collection));
      this.collections.set(collection, pending);
    }
    return pending;
  }

  /** The records that exist among `ids`, read in batches. */
  private async read(
    collection: Collection,
    target: ChromaCollection,
    ids: string[],
    include: ('embeddings' | 'documents' | 'metadatas')[],
  ): Promise<StoredRecord[]> {
    const records: StoredRecord[] = [];
    for (const batch of chunk(ids, await this.batchSize())) {
      const result = await this.call(`read from ${target.name}`, collection, () => target.get({ ids: batch, include }));
      result.ids.forEach((id, i) =>
        records.push({
          id,
          vector: result.embeddings[i] ?? [],
          document: result.documents[i] ?? '',
          metadata: fromChromaMetadata(result.metadatas[i] as Metadata | null | undefined),
        }),
      );
    }
    return records;
  }

  /**
   * Runs one Chroma request with a per-attempt timeout and bounded retries of transient
   * failures, mapping its errors to core's. Every request the adapter sends is safe to repeat:
   * reads, upserts by id (same ids, same content, same state) and deletes by id.
   */
  private call<T>(action: string, collection: Collection, request: () => Promise<T>): Promise<T> {
    return this.requests.run(action, request, {
      onError: (error) => {
        if (!(error instanceof ChromaNotFoundError)) return false;
        // The collection was deleted behind our back: forget the handle so the next call
        // recreates it (retrying with the stale handle could only fail again).
        this.collections.delete(collection);
        return true;
      },
    });
  }

  /** Records per request: the configured size, capped by the server's own limit. */
  private batchSize(): Promise<number> {
    if (!this.batchSizePromise) {
      this.batchSizePromise = this.requests
        .run('read the server limits', () => this.client.getMaxBatchSize())
        .then(
          (serverMax) => (serverMax > 0 ? Math.min(this.configuredBatchSize, serverMax) : this.configuredBatchSize),
          (error: unknown) => {
            this.batchSizePromise = undefined;
            throw error;
          },
        );
    }
    return this.batchSizePromise;
  }

  private checkRecord(record: VectorRecord): void {
    if (record.id.length === 0) throw new ValidationError('vector record id must not be empty');
    if (EMPTY_METADATA_MARKER in record.metadata) {
      throw new ValidationError(`record ${record.id}: metadata key ${EMPTY_METADATA_MARKER} is reserved`);
    }
    this.checkVector(record.vector, `record ${record.id}`);
  }

  private checkVector(vector: number[], what: string): void {
    if (vector.length === 0 || !vector.every(Number.isFinite)) {
      throw new ValidationError(`${what}: vector must be a non-empty list of finite numbers`);
    }
    if (this.dimensions !== undefined && vector.length !== this.dimensions) {
      throw new ValidationError(`${what}: vector has ${vector.length} dimensions, expected ${this.dimensions}`);
    }
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
