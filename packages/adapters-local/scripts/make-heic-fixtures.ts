/**
 * Makes the committed HEIC fixtures (fixtures/heic/receipt-o<N>.heic, N = EXIF orientation 1–8)
 * from the project's own synthetic receipt, never from a download:
 *
 *   apt-get install -y libheif-examples     # heif-enc, libheif's encoder (x265)
 *   pnpm exec tsx packages/adapters-local/scripts/make-heic-fixtures.ts
 *
 * For each orientation the upright receipt is turned into the pixels a phone would store
 * (storedForOrientation), encoded by heif-enc, and given the HEIF transforms that show it
 * upright again: `irot` (counter-clockwise quarter turns) then `imir` (a mirror), as an iPhone
 * writes them. heif-enc has no option for these, so they are added to the container here.
 *
 * CI needs no encoder: it reads the committed files (about 16 KB each). Run again only when the
 * synthetic receipts change, and commit the result.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHeifHeader } from '@receiptflow/core';
import {
  EXIF_ORIENTATIONS,
  HEIC_FIXTURE_RECEIPT,
  drawReceipt,
  storedForOrientation,
  type ExifOrientation,
} from '../src/synthetic/index.js';

/**
 * The HEIF transforms equal to each EXIF orientation: irot angle (×90° counter-clockwise), then
 * imir axis. ISO/IEC 23008-12:2022 (6.5.12) settles the axis: 0 exchanges top and bottom (EXIF 4),
 * 1 exchanges left and right (EXIF 2); libheif decodes it so.
 */
const TRANSFORMS: Record<ExifOrientation, { irot?: 1 | 2 | 3; imir?: 0 | 1 }> = {
  1: {},
  2: { imir: 1 },
  3: { irot: 2 },
  4: { imir: 0 },
  5: { irot: 3, imir: 1 },
  6: { irot: 3 },
  7: { irot: 1, imir: 1 },
  8: { irot: 1 },
};

const out = fileURLToPath(new URL('../fixtures/heic/', import.meta.url));
mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'heic-fixtures-'));
try {
  const upright = drawReceipt(HEIC_FIXTURE_RECEIPT.spec);
  for (const o of EXIF_ORIENTATIONS) {
    const png = join(work, `o${o}.png`);
    const heic = join(work, `o${o}.heic`);
    writeFileSync(png, storedForOrientation(upright, o).toBuffer('image/png'));
    execFileSync('heif-enc', ['--no-alpha', '-q', '50', '-o', heic, png], { stdio: 'ignore' });
    const withTransforms = addTransforms(new Uint8Array(readFileSync(heic)), TRANSFORMS[o]);
    const header = readHeifHeader(withTransforms);
    if (header.width !== upright.width || header.height !== upright.height) {
      throw new Error(`orientation ${o}: the container says ${header.width}x${header.height}, not upright`);
    }
    writeFileSync(join(out, `receipt-o${o}.heic`), withTransforms);
    console.log(`receipt-o${o}.heic ${withTransforms.length} bytes`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

// --- HEIF box editing: just enough to append two properties to the primary item. ---

interface Box {
  type: string;
  start: number;
  body: number;
  end: number;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
}

function be32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function boxes(b: Uint8Array, from: number, to: number): Box[] {
  const list: Box[] = [];
  for (let at = from; at < to;) {
    const size = u32(b, at);
    if (size < 8) throw new Error(`box at ${at} has size ${size} (64-bit and to-the-end sizes are not expected here)`);
    list.push({ type: String.fromCharCode(...b.subarray(at + 4, at + 8)), start: at, body: at + 8, end: at + size });
    at += size;
  }
  return list;
}

function box(type: string, payload: number[]): number[] {
  return [...be32(8 + payload.length), ...[...type].map((c) => c.charCodeAt(0)), ...payload];
}

function find(list: Box[], type: string): Box {
  const found = list.find((x) => x.type === type);
  if (!found) throw new Error(`no ${type} box`);
  return found;
}

/**
 * The file with `irot`/`imir` appended to `ipco` and associated (as essential) with the primary
 * item in `ipma`. The meta box grows, so every file offset in `iloc` past it moves by as much.
 */
function addTransforms(b: Uint8Array, t: { irot?: number; imir?: number }): Uint8Array {
  if (t.irot === undefined && t.imir === undefined) return b;
  const top = boxes(b, 0, b.length);
  const meta = find(top, 'meta');
  const inMeta = boxes(b, meta.body + 4, meta.end);
  const primary = ((b[find(inMeta, 'pitm').body + 4]! << 8) | b[find(inMeta, 'pitm').body + 5]!) >>> 0;
  const iprp = find(inMeta, 'iprp');
  const inIprp = boxes(b, iprp.body, iprp.end);
  const ipco = find(inIprp, 'ipco');
  const ipma = find(inIprp, 'ipma');
  const properties = boxes(b, ipco.body, ipco.end);

  const added: number[][] = [];
  if (t.irot !== undefined) added.push(box('irot', [t.irot]));
  if (t.imir !== undefined) added.push(box('imir', [t.imir]));
  const newIndexes = added.map((_, i) => properties.length + 1 + i);
  const newIpco = box('ipco', [...b.subarray(ipco.body, ipco.end), ...added.flat()]);
  const newIpma = box('ipma', rewriteIpma(b.subarray(ipma.body, ipma.end), primary, newIndexes));
  const newIprp = box(
    'iprp',
    inIprp.flatMap((x) => (x === ipco ? newIpco : x === ipma ? newIpma : [...b.subarray(x.start, x.end)])),
  );
  const metaPayload = [
    ...b.subarray(meta.body, meta.body + 4),
    ...inMeta.flatMap((x) => (x === iprp ? newIprp : [...b.subarray(x.start, x.end)])),
  ];
  const newMeta = Uint8Array.from(box('meta', metaPayload));
  const delta = newMeta.length - (meta.end - meta.start);
  shiftIloc(newMeta, meta.end, delta);
  return Uint8Array.from([...b.subarray(0, meta.start), ...newMeta, ...b.subarray(meta.end)]);
}

/** The ipma payload with `indexes` (essential) added to `item`'s associations. */
function rewriteIpma(p: Uint8Array, item: number, indexes: number[]): number[] {
  const version = p[0]!;
  const wide = (p[3]! & 1) === 1;
  const count = u32(p, 4);
  const out = [...p.subarray(0, 8)];
  let at = 8;
  for (let e = 0; e < count; e++) {
    const idBytes = version < 1 ? 2 : 4;
    const id = version < 1 ? (p[at]! << 8) | p[at + 1]! : u32(p, at);
    const n = p[at + idBytes]!;
    const assocBytes = n * (wide ? 2 : 1);
    const entry = [...p.subarray(at, at + idBytes + 1 + assocBytes)];
    if (id === item) {
      entry[idBytes] = n + indexes.length;
      for (const index of indexes) entry.push(...(wide ? [0x80 | (index >> 8), index & 0xff] : [0x80 | index]));
    }
    out.push(...entry);
    at += idBytes + 1 + assocBytes;
  }
  return out;
}

/** Adds `delta` to every file offset in the meta box's iloc that points at or past `from`. */
function shiftIloc(meta: Uint8Array, from: number, delta: number): void {
  const iloc = find(boxes(meta, 12, meta.length), 'iloc');
  const v = meta[iloc.body]!;
  const offsetSize = meta[iloc.body + 4]! >> 4;
  const lengthSize = meta[iloc.body + 4]! & 0xf;
  const baseSize = meta[iloc.body + 5]! >> 4;
  const indexSize = v === 1 || v === 2 ? meta[iloc.body + 5]! & 0xf : 0;
  let at = iloc.body + 6;
  const read = (n: number) => {
    let x = 0;
    for (let i = 0; i < n; i++) x = x * 256 + meta[at + i]!;
    return x;
  };
  const write = (n: number, x: number) => {
    for (let i = n - 1; i >= 0; i--) {
      meta[at + i] = x % 256;
      x = Math.floor(x / 256);
    }
  };
  const items = v < 2 ? read(2) : read(4);
  at += v < 2 ? 2 : 4;
  for (let i = 0; i < items; i++) {
    at += v < 2 ? 2 : 4; // item id
    let method = 0;
    if (v === 1 || v === 2) {
      method = read(2) & 0xf;
      at += 2;
    }
    at += 2; // data reference index
    const base = read(baseSize);
    const shiftBase = method === 0 && baseSize > 0 && base >= from;
    if (shiftBase) write(baseSize, base + delta);
    at += baseSize;
    const extents = read(2);
    at += 2;
    for (let e = 0; e < extents; e++) {
      at += indexSize;
      const offset = read(offsetSize);
      if (method === 0 && baseSize === 0 && offsetSize > 0 && offset >= from) write(offsetSize, offset + delta);
      at += offsetSize + lengthSize;
    }
  }
}
