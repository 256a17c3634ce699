import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { COLLECTIONS } from '@receiptflow/core';
import { readWholeIfAny } from '../durable/whole-file.js';
import { CorruptDataFileError } from '../errors.js';
import { scanFrames } from './log-frames.js';
import { decodeManifest, MANIFEST } from './manifest.js';
import { decodeOp } from './op-codec.js';
import { decodeDescriptor, SNAPSHOT_DESCRIPTOR, SNAPSHOTS_DIR, snapshotIdOf } from './snapshot-catalog.js';
import { checkSnapshot } from './snapshot-codec.js';

/** One problem with a file of a vector index directory. */
export interface VectorFileFinding {
  file: string;
  kind: 'damaged' | 'torn-tail' | 'unchecked';
  offset: number;
  bytes: number;
  detail: string;
}

/**
 * Checks every file of a persisted vector index without changing anything (nor taking the
 * directory's ownership): the manifest, each live snapshot, every frame of each live log, and
 * every kept snapshot's descriptor and files,
 * listing all damage rather than stopping at the first. `receipts fsck` reports these.
 *
 * @example
 * const findings = await inspectVectorIndex('.data/vectors', 512);
 */
export async function inspectVectorIndex(dir: string, dimensions: number): Promise<VectorFileFinding[]> {
  const findings: VectorFileFinding[] = [];
  const damaged = (error: unknown, fallbackFile: string) => {
    if (!(error instanceof CorruptDataFileError)) throw error;
    findings.push({
      file: error.file || fallbackFile,
      kind: 'damaged',
      offset: error.offset,
      bytes: 0,
      detail: error.reason,
    });
  };
  const manifestPath = join(dir, MANIFEST);
  let bytes: Buffer;
  try {
    bytes = await readFile(manifestPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const names = await readdir(dir).catch(() => [] as string[]);
    if (names.some((n) => /^(lines|words)\.\d+\.(log|snapshot)$/.test(n)))
      findings.push({
        file: manifestPath,
        kind: 'damaged',
        offset: 0,
        bytes: 0,
        detail: 'missing, beside logs or snapshots',
      });
    return findings;
  }
  let manifest;
  try {
    manifest = decodeManifest(bytes, manifestPath);
  } catch (error) {
    damaged(error, manifestPath);
    return findings;
  }
  for (const collection of COLLECTIONS) {
    const files = manifest.collections[collection];
    if (files.snapshot) {
      const path = join(dir, files.snapshot);
      try {
        checkSnapshot(await readNamed(path), path);
      } catch (error) {
        damaged(error, path);
      }
    }
    const path = join(dir, files.log);
    let log: Buffer;
    try {
      log = await readNamed(path);
    } catch (error) {
      damaged(error, path);
      continue;
    }
    const scan = scanFrames(log);
    for (const d of scan.damaged)
      findings.push({ file: path, kind: 'damaged', offset: d.offset, bytes: d.length, detail: d.reason });
    if (scan.tornTail)
      findings.push({
        file: path,
        kind: 'torn-tail',
        offset: scan.tornTail.offset,
        bytes: scan.tornTail.length,
        detail: scan.tornTail.reason,
      });
    for (const f of scan.frames) {
      try {
        decodeOp(f.payload, manifest.dimensions);
      } catch (error) {
        findings.push({
          file: path,
          kind: 'damaged',
          offset: f.offset,
          bytes: f.payload.length + 8,
          detail: `undecodable operation: ${String(error)}`,
        });
      }
    }
  }
  // Kept snapshots (`receipts restore` can make any of them live): descriptor and files.
  const live = new Set(COLLECTIONS.map((c) => manifest.collections[c].snapshot).filter((f): f is string => f !== null));
  for (const name of (await readdir(join(dir, SNAPSHOTS_DIR)).catch(() => [] as string[])).sort()) {
    if (snapshotIdOf(name) === undefined) continue;
    const descriptorPath = join(dir, SNAPSHOTS_DIR, name, SNAPSHOT_DESCRIPTOR);
    let descriptor;
    try {
      descriptor = decodeDescriptor(await readNamed(descriptorPath), descriptorPath);
    } catch (error) {
      damaged(error, descriptorPath);
      continue;
    }
    for (const collection of COLLECTIONS) {
      const file = descriptor.collections[collection].file;
      if (!file || live.has(`${SNAPSHOTS_DIR}/${name}/${file}`)) continue; // live ones were checked above
      const path = join(dir, SNAPSHOTS_DIR, name, file);
      try {
        checkSnapshot(await readNamed(path), path);
      } catch (error) {
        damaged(error, path);
      }
    }
  }
  if (manifest.dimensions !== dimensions)
    findings.push({
      file: manifestPath,
      kind: 'damaged',
      offset: 0,
      bytes: 0,
      detail: `index has ${manifest.dimensions} dimensions, the embedder ${dimensions}`,
    });
  return findings;
}

/** Snapshots and logs may pass readFile's 2 GiB at about 800k vectors. */
async function readNamed(path: string): Promise<Buffer> {
  const bytes = await readWholeIfAny(path);
  if (!bytes) throw new CorruptDataFileError(path, 0, 'named by the manifest but missing');
  return bytes;
}
