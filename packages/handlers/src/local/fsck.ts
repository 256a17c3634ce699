import { mkdir, open, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import {
  buildReceiptsFromDocument,
  ContentTypeSchema,
  isoNow,
  JobStatusSchema,
  newPendingJob,
  rebuildReceiptVectors,
  silentLogger,
  type ChangeRecord,
  type Clock,
  type Embedder,
  type CompactionRunStore,
  type OcrJobStore,
  type ReceiptStore,
  type Logger,
} from '@receiptflow/core';
import {
  checkObjectFile,
  CorruptDataFileError,
  encodeJournalRecord,
  FsDeadLetterJournal,
  FsImageStore,
  FsJobTable,
  HashingEmbedder,
  HnswVectorIndex,
  InMemoryJobTable,
  jobTableStores,
  inspectPresignSecret,
  inspectVectorIndex,
  JOB_JOURNAL,
  loadOrCreatePresignSecret,
  readJournal,
  SystemClock,
  UploadNonceLedger,
  vectorIndexOwner,
  type DeadLetterJournalScan,
  type ObjectHeader,
} from '@receiptflow/adapters-local';
import { DataDirInUseError } from '../errors.js';
import { DATA_LAYOUT } from './local-adapters.js';

/** One thing fsck found wrong (or worth knowing) under the data directory. */
export interface FsckFinding {
  /** Path relative to the data directory. */
  file: string;
  kind:
    | 'damaged' // a record or file failing its checksum or not parsing
    | 'torn-tail' // an incomplete last record: a crash mid-append, never acknowledged
    | 'unchecked' // records written before checksums (rewritten with checksums by --repair)
    | 'temp-file' // left by a crash mid-write
    | 'orphan-image' // an image is stored but its IMAGE/OCR_JOB records are gone
    | 'missing-job' // an uploaded image has no OCR job
    | 'rows-missing' // a receipt's place or run survived but its rows (lines, words) are gone
    | 'vectors-missing'; // a compacted receipt has fewer vectors than lines and words
  offset?: number;
  bytes?: number;
  detail: string;
}

export interface FsckReport {
  dataDir: string;
  findings: FsckFinding[];
  /** With --repair: what could not be saved (damaged records and objects). */
  lost: string[];
  /** With --repair: what was derived again (records of stored images, the vector index). */
  rebuilt: string[];
  /** With --repair: where every replaced or removed original was moved. */
  backupDir: string | null;
}

export interface FsckOptions {
  repair?: boolean;
  logger?: Logger;
  /** Re-embeds receipts when the vector index is rebuilt; default the one serve uses. */
  embedder?: Embedder;
  /** Stamps the backup folder and rebuilt records; default SystemClock. */
  clock?: Clock;
}

/**
 * Checks every file under a `receipts serve --data` directory, and with `repair` salvages every
 * good record and rebuilds what can be derived:
 *
 * - the job journal is rewritten with its good records (damaged ones and a torn tail are lost,
 *   and listed); records without checksums are rewritten with them;
 * - a damaged object file is moved aside and listed as lost;
 * - a dead-letter journal is rewritten with its good records (a damaged "taken off" record can
 *   bring a redriven message back: at worst one more delivery, which the handlers absorb);
 * - an image whose records were lost gets its IMAGE and PENDING OCR_JOB again, from the object's
 *   metadata (serve's recovery then runs it); an uploaded image without a job gets one;
 * - the vector index, when damaged or short of a compacted receipt's vectors, is rebuilt from
 *   the stored receipts by re-embedding their lines and words;
 * - a damaged presign secret or used-URL ledger line gets a new secret (the old files moved
 *   aside): a damaged line could have recorded any URL, so every URL issued before is refused.
 *
 * Originals are moved into `fsck-backup-<time>/`, never deleted. Refuses to run while a serve
 * owns the directory.
 *
 * @example
 * const report = await fsckDataDir('.data', { repair: true, logger });
 * if (report.lost.length > 0) console.log(report.lost.join('\n'));
 */
export async function fsckDataDir(given: string, options: FsckOptions = {}): Promise<FsckReport> {
  const logger = options.logger ?? silentLogger;
  const embedder = options.embedder ?? new HashingEmbedder();
  const clock = options.clock ?? new SystemClock();
  const report: FsckReport = { dataDir: given, findings: [], lost: [], rebuilt: [], backupDir: null };
  // Absolute, as serve's stores make it: a recursive mkdir of a relative path never settles once
  // the working directory is deleted (local-adapters.ts).
  const dataDir = resolve(given);
  await stat(dataDir); // a missing directory is an error, not a clean bill of health
  const paths = {
    journal: join(dataDir, DATA_LAYOUT.jobs, JOB_JOURNAL),
    objects: join(dataDir, DATA_LAYOUT.objects),
    vectors: join(dataDir, DATA_LAYOUT.vectors),
  };
  const owner = await vectorIndexOwner(paths.vectors);
  if (owner !== null)
    throw new DataDirInUseError(`${dataDir} is in use by process ${owner} (a running receipts serve); stop it first`);
  const rel = (path: string) => relative(dataDir, path);
  const find = (finding: FsckFinding) => report.findings.push(finding);

  // 1. The job journal.
  const journal = await readJournal(paths.journal);
  const records: ChangeRecord[][] = journal?.scan.records.map((r) => r.value) ?? [];
  if (journal) {
    for (const d of journal.scan.damaged)
      find({ file: rel(paths.journal), kind: 'damaged', offset: d.offset, bytes: d.length, detail: d.reason });
    const torn = journal.scan.tornTail;
    if (torn)
      find({
        file: rel(paths.journal),
        kind: 'torn-tail',
        offset: torn.offset,
        bytes: torn.length,
        detail: torn.reason,
      });
    const legacy = journal.scan.records.filter((r) => r.legacy).length;
    if (legacy > 0)
      find({ file: rel(paths.journal), kind: 'unchecked', detail: `${legacy} records without checksums` });
  }
  const journalLost = journal !== null && (journal.scan.damaged.length > 0 || journal.scan.tornTail !== null);

  // 2. Object files, every bucket.
  const rawObjects: { path: string; header: ObjectHeader }[] = [];
  const badObjects: string[] = [];
  const tempFiles: string[] = [];
  for (const bucket of await listDir(paths.objects)) {
    const bucketDir = join(paths.objects, bucket);
    for (const name of await listDir(bucketDir)) {
      const path = join(bucketDir, name);
      if (name.startsWith('.tmp-')) {
        tempFiles.push(path);
        find({ file: rel(path), kind: 'temp-file', detail: 'left by a crash mid-write' });
      } else if (name.endsWith('.obj')) {
        try {
          const header = await checkObjectFile(path);
          if (bucket === 'raw') rawObjects.push({ path, header });
        } catch (error) {
          if (!(error instanceof CorruptDataFileError)) throw error;
          badObjects.push(path);
          find({ file: rel(path), kind: 'damaged', offset: error.offset, detail: error.reason });
        }
      }
    }
  }

  // 3. The vector index's files.
  const vectorFindings = await inspectVectorIndex(paths.vectors, embedder.dimensions).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  for (const f of vectorFindings) find({ ...f, file: rel(f.file) });
  const vectorsDamaged = vectorFindings.some((f) => f.kind === 'damaged');

  // 4. The dead-letter journals (one per DLQ).
  const deadLetterDir = join(dataDir, DATA_LAYOUT.deadLetters);
  const damagedDeadLetters: { path: string; scan: DeadLetterJournalScan }[] = [];
  for (const name of await listDir(deadLetterDir)) {
    const path = join(deadLetterDir, name);
    if (name.startsWith('.tmp-')) {
      tempFiles.push(path);
      find({ file: rel(path), kind: 'temp-file', detail: 'left by a crash mid-write' });
      continue;
    }
    if (!name.endsWith('.log')) continue;
    const scan = await FsDeadLetterJournal.read(path);
    if (!scan) continue;
    for (const d of scan.damaged)
      find({ file: rel(path), kind: 'damaged', offset: d.offset, bytes: d.length, detail: d.reason });
    if (scan.tornTail)
      find({
        file: rel(path),
        kind: 'torn-tail',
        offset: scan.tornTail.offset,
        bytes: scan.tornTail.length,
        detail: scan.tornTail.reason,
      });
    if (scan.damaged.length > 0 || scan.tornTail) damagedDeadLetters.push({ path, scan });
  }

  // 5. Upload signing: the presign secret and the used-URL ledger (serve refuses either damaged).
  const signing = {
    secret: join(dataDir, DATA_LAYOUT.presignSecret),
    ledger: join(dataDir, DATA_LAYOUT.uploadLedger),
  };
  for (const name of await listDir(dataDir)) {
    if (!name.startsWith('.tmp-')) continue;
    tempFiles.push(join(dataDir, name));
    find({ file: name, kind: 'temp-file', detail: 'left by a crash mid-write' });
  }
  const secretDamage = await inspectPresignSecret(signing.secret);
  if (secretDamage !== null) find({ file: DATA_LAYOUT.presignSecret, kind: 'damaged', detail: secretDamage });
  const ledger = await UploadNonceLedger.scan(signing.ledger);
  for (const d of ledger?.damaged ?? [])
    find({ file: DATA_LAYOUT.uploadLedger, kind: 'damaged', offset: d.offset, bytes: d.length, detail: d.reason });
  if (ledger?.tornTail)
    find({
      file: DATA_LAYOUT.uploadLedger,
      kind: 'torn-tail',
      offset: ledger.tornTail.offset,
      bytes: ledger.tornTail.length,
      detail: 'an incomplete last line (a crash mid-append; that upload was never acknowledged)',
    });

  // 6. Cross-checks over what the journal holds.
  const state = jobTableStores(InMemoryJobTable.fromChanges(records));
  const lostImages: { path: string; header: ObjectHeader; imageId: string; jobId: string | null }[] = [];
  for (const object of rawObjects) {
    // Direct uploads carry their ids as metadata; a presigned PUT only has the key raw/<image_id>/….
    const imageId = object.header.metadata.image_id ?? object.header.key.split('/')[1];
    if (!imageId) continue;
    const image = await state.jobs.getImage(imageId);
    const jobs = image ? await state.jobs.listJobsForImage(imageId) : [];
    if (image && jobs.length > 0) continue;
    lostImages.push({ ...object, imageId, jobId: object.header.metadata.job_id ?? null });
    find({
      file: rel(object.path),
      kind: image ? 'missing-job' : 'orphan-image',
      detail: image
        ? `image ${imageId} is uploaded but has no OCR job`
        : `image ${imageId} (${object.header.key}) is stored but its records are gone`,
    });
  }
  const rowless = await receiptsWithoutRows(state);
  for (const { imageId, receiptIds } of rowless)
    find({
      file: rel(paths.journal),
      kind: 'rows-missing',
      detail: `image ${imageId}: receipts ${receiptIds.join(', ')} have a place or run but no lines and words`,
    });
  if (
    !vectorsDamaged &&
    !vectorFindings.some((f) => f.kind === 'torn-tail') &&
    (await exists(join(paths.vectors, 'manifest.json')))
  ) {
    const short = await compactedReceiptsShortOfVectors(state, paths.vectors, embedder.dimensions);
    if (short > 0)
      find({
        file: rel(paths.vectors),
        kind: 'vectors-missing',
        detail: `${short} compacted receipts have fewer vectors than lines and words`,
      });
  }

  if (!options.repair || report.findings.length === 0) return report;

  // ---- repair ----
  const backupDir = join(dataDir, `fsck-backup-${isoNow(clock).replace(/[:.]/g, '-')}`);
  report.backupDir = backupDir;
  const moveAside = async (path: string) => {
    const target = join(backupDir, rel(path));
    await mkdir(dirname(target), { recursive: true });
    await rename(path, target);
  };

  if (journal && (journalLost || journal.scan.records.some((r) => r.legacy))) {
    for (const d of journal.scan.damaged)
      report.lost.push(`${rel(paths.journal)}: record at byte ${d.offset} (${d.length} bytes): ${d.reason}`);
    const torn = journal.scan.tornTail;
    if (torn)
      report.lost.push(
        `${rel(paths.journal)}: incomplete last record at byte ${torn.offset} (${torn.length} bytes, never acknowledged)`,
      );
    await moveAside(paths.journal);
    await writeDurably(paths.journal, Buffer.concat(records.map((changes) => encodeJournalRecord(changes))));
    logger.info('fsck: job journal rewritten', { records: records.length });
  }
  for (const path of badObjects) {
    await moveAside(path);
    report.lost.push(`${rel(path)}: damaged object, moved to ${rel(join(backupDir, rel(path)))}`);
  }
  for (const path of tempFiles) await moveAside(path);
  for (const { path, scan } of damagedDeadLetters) {
    for (const d of scan.damaged)
      report.lost.push(`${rel(path)}: dead letter at byte ${d.offset} (${d.length} bytes): ${d.reason}`);
    if (scan.tornTail)
      report.lost.push(
        `${rel(path)}: incomplete last record at byte ${scan.tornTail.offset} (${scan.tornTail.length} bytes, never acknowledged)`,
      );
    await moveAside(path);
    await FsDeadLetterJournal.rewrite(path, scan.messages);
    report.rebuilt.push(`${rel(path)}: rewritten with its ${scan.messages.length} good dead letters`);
  }

  if (secretDamage !== null || (ledger?.damaged.length ?? 0) > 0) {
    // Which URL a damaged ledger line recorded is unknown, so it could be replayed. A new secret
    // refuses every URL issued before the repair instead: clients ask for new ones.
    if (secretDamage !== null)
      report.lost.push(`${DATA_LAYOUT.presignSecret}: damaged signing secret (${secretDamage})`);
    for (const d of ledger?.damaged ?? [])
      report.lost.push(`${DATA_LAYOUT.uploadLedger}: line at byte ${d.offset} (${d.length} bytes): ${d.reason}`);
    if (await exists(signing.secret)) await moveAside(signing.secret);
    if (ledger) await moveAside(signing.ledger);
    await loadOrCreatePresignSecret(signing.secret);
    report.rebuilt.push(
      `${DATA_LAYOUT.presignSecret}: a new signing secret; upload and download URLs issued before the repair are refused (ask for new ones)`,
    );
  } else if (ledger?.tornTail) {
    await (await UploadNonceLedger.open(signing.ledger, clock.now())).close(); // opening cuts the torn line off
  }

  const table = await FsJobTable.open(join(dataDir, DATA_LAYOUT.jobs), { logger });
  const stores = jobTableStores(table, { clock });
  try {
    for (const lost of lostImages) {
      await restoreImageRecords(stores.jobs, lost.header, lost.imageId, lost.jobId, isoNow(clock));
      report.rebuilt.push(`image ${lost.imageId}: IMAGE and a PENDING OCR job recreated from ${rel(lost.path)}`);
    }
    const artifacts = new FsImageStore({ bucket: 'artifacts', dir: join(paths.objects, 'artifacts') });
    for (const { imageId, receiptIds } of rowless) {
      const counts = await rebuildReceiptRows(stores, artifacts, imageId, receiptIds, isoNow(clock));
      if (counts)
        report.rebuilt.push(
          `image ${imageId}: rows of ${counts.receipts} receipts (${counts.lines} lines, ${counts.words} words) rebuilt from its OCR document`,
        );
      else
        report.lost.push(
          `image ${imageId}: rows of receipts ${receiptIds.join(', ')} are gone, and its OCR document does not rebuild them`,
        );
    }
    const rebuildVectors =
      vectorsDamaged || journalLost || rowless.length > 0 || report.findings.some((f) => f.kind === 'vectors-missing');
    if (rebuildVectors) {
      if (await exists(paths.vectors)) await moveAside(paths.vectors);
      const vectors = await HnswVectorIndex.open(paths.vectors, {
        dimensions: embedder.dimensions,
        fsync: true,
        logger,
      });
      try {
        const counts = await rebuildAllVectors(stores, { embedder, vectors });
        await vectors.checkpoint();
        report.rebuilt.push(
          `vector index: ${counts.lines} line and ${counts.words} word vectors from ${counts.receipts} receipts`,
        );
      } finally {
        await vectors.close();
      }
    } else if (vectorFindings.length > 0) {
      // Only a torn tail: opening drops (and logs) it.
      await (await HnswVectorIndex.open(paths.vectors, { dimensions: embedder.dimensions, logger })).close();
    }
  } finally {
    await table.close();
  }
  return report;
}

/** The job-table stores fsck reads and repairs through. */
interface Stores {
  jobs: OcrJobStore;
  receipts: ReceiptStore;
  runs: CompactionRunStore;
}

async function allImageIds(jobs: OcrJobStore): Promise<string[]> {
  const ids = new Set<string>();
  for (const status of JobStatusSchema.options)
    for (const job of await jobs.listJobsByStatus(status, 1_000_000)) ids.add(job.image_id);
  return [...ids].sort();
}

/** Receipts with a place and a run: the ones whose vectors compaction stores. */
async function rebuildAllVectors(stores: Stores, deps: { embedder: Embedder; vectors: HnswVectorIndex }) {
  const counts = { receipts: 0, lines: 0, words: 0 };
  for (const imageId of await allImageIds(stores.jobs)) {
    for (const details of await stores.receipts.list(imageId)) {
      const { receipt_id } = details.receipt;
      const place = await stores.receipts.getPlace(imageId, receipt_id);
      if (!place || (await stores.runs.list(imageId, receipt_id)).length === 0) continue;
      const n = await rebuildReceiptVectors(deps, details, place);
      counts.receipts++;
      counts.lines += n.lines;
      counts.words += n.words;
    }
  }
  return counts;
}

/** Receipts that lost their rows while their place or compaction run survived, by image. */
async function receiptsWithoutRows(stores: Stores): Promise<{ imageId: string; receiptIds: number[] }[]> {
  const found: { imageId: string; receiptIds: number[] }[] = [];
  for (const imageId of await allImageIds(stores.jobs)) {
    const routing = await completedRouting(stores.jobs, imageId);
    if (!routing) continue;
    const stored = new Set((await stores.receipts.list(imageId)).map((r) => r.receipt.receipt_id));
    const receiptIds: number[] = [];
    for (let id = 1; id <= routing.receipt_count; id++) {
      if (stored.has(id)) continue;
      // Without a place or run, serve's recovery re-runs the results step, which writes the rows.
      const downstream =
        (await stores.receipts.getPlace(imageId, id)) !== null || (await stores.runs.list(imageId, id)).length > 0;
      if (downstream) receiptIds.push(id);
    }
    if (receiptIds.length > 0) found.push({ imageId, receiptIds });
  }
  return found;
}

async function completedRouting(jobs: OcrJobStore, imageId: string) {
  for (const job of await jobs.listJobsForImage(imageId)) {
    if (job.status !== 'COMPLETED') continue;
    const routing = await jobs.getRoutingDecision(job.job_id);
    if (routing && routing.receipt_count > 0) return routing;
  }
  return null;
}

/**
 * Rebuilds receipts' rows from the OCR document their completed job stored, as the results step
 * built them (the results step skips a receipt whose place and run exist, so it would not).
 */
async function rebuildReceiptRows(
  stores: Stores,
  artifacts: FsImageStore,
  imageId: string,
  receiptIds: number[],
  now: string,
) {
  const routing = await completedRouting(stores.jobs, imageId);
  if (!routing) return null;
  const document: unknown = JSON.parse(Buffer.from((await artifacts.get(routing.ocr_s3_key)).body).toString('utf8'));
  const built = buildReceiptsFromDocument(
    document,
    { image_id: imageId, created_at: now, image_type: routing.image_type },
    [],
  );
  const counts = { receipts: 0, lines: 0, words: 0 };
  for (const receipt of built) {
    if (!receiptIds.includes(receipt.receipt.receipt_id)) continue;
    const { details } = await stores.receipts.create(receipt);
    counts.receipts++;
    counts.lines += details.lines.length;
    counts.words += details.words.length;
  }
  return counts.receipts === receiptIds.length ? counts : null;
}

async function compactedReceiptsShortOfVectors(stores: Stores, dir: string, dimensions: number): Promise<number> {
  const vectors = await HnswVectorIndex.open(dir, { dimensions, fsync: false });
  let short = 0;
  try {
    for (const imageId of await allImageIds(stores.jobs)) {
      for (const details of await stores.receipts.list(imageId)) {
        const runs = await stores.runs.list(imageId, details.receipt.receipt_id);
        if (!runs.some((r) => r.lines.state === 'COMPLETED' && r.words.state === 'COMPLETED')) continue;
        const where = { image_id: imageId, receipt_id: details.receipt.receipt_id };
        const lines = (await vectors.findIds('lines', where)).length;
        const words = (await vectors.findIds('words', where)).length;
        if (lines < details.lines.length || words < details.words.length) short++;
      }
    }
  } finally {
    await vectors.close();
  }
  return short;
}

async function restoreImageRecords(
  jobs: OcrJobStore,
  header: ObjectHeader,
  imageId: string,
  jobId: string | null,
  now: string,
): Promise<void> {
  const image = (await jobs.getImage(imageId)) ?? {
    image_id: imageId,
    filename: header.metadata.original_filename || header.key.split('/').pop() || 'upload',
    content_type: ContentTypeSchema.parse(header.contentType),
    s3_bucket: 'raw',
    s3_key: header.key,
    upload_state: 'UPLOADED' as const,
    size_bytes: header.size,
    created_at: now,
  };
  await jobs.createImage(image);
  if ((await jobs.listJobsForImage(imageId)).length > 0) return;
  await jobs.createJob(newPendingJob(jobId ?? crypto.randomUUID(), image, now));
}

async function writeDurably(path: string, bytes: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
