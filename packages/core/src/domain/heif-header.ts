import { ValidationError } from '../errors.js';

/**
 * HEIF (ISO/IEC 23008-12) container reading, header only: enough to sniff the brand and to know
 * the primary image's size before a decoder sees the file. A HEIF stores boxes
 * (`size, type, payload`); the size of each image is its `ispe` property and its display
 * transforms are `irot` (rotation) and `imir` (mirror), all in `meta/iprp/ipco`, tied to items
 * by `meta/iprp/ipma`. Pixels live in `mdat`, never read here.
 */

/** Brands of HEVC-coded HEIF, what an iPhone writes (`image/heic`). */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx']);
/** Brands of the generic HEIF structure (`image/heif`). */
const HEIF_BRANDS = new Set(['mif1', 'msf1']);
/** AV1-coded HEIF: the same container, another codec the decoder does not carry. */
const AVIF_BRANDS = new Set(['avif', 'avis']);

export interface HeifHeader {
  contentType: 'image/heic' | 'image/heif';
  /** The primary image as displayed: sides swapped when it is rotated by 90° or 270°. */
  width: number;
  height: number;
  /** Counter-clockwise rotation the decoder applies (`irot`), 0 when none. */
  rotation: 0 | 90 | 180 | 270;
  /** Whether a mirror (`imir`) is applied. */
  mirrored: boolean;
  /**
   * Every size the file declares (`ispe` of each image: a grid, its tiles, a thumbnail), for the
   * pixel limit: a decoder allocates for these, so any one of them can be the bomb.
   */
  declaredSizes: { width: number; height: number }[];
}

const ascii = (b: Uint8Array, start: number, length: number) =>
  String.fromCharCode(...b.subarray(start, Math.min(b.length, start + length)));
const u16 = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u32 = (b: Uint8Array, i: number) => u16(b, i) * 65536 + u16(b, i + 2);

/** `image/heic`, `image/heif`, or null (not HEIF, or AVIF) from the `ftyp` box's brands. */
export function heifBrandType(b: Uint8Array): 'image/heic' | 'image/heif' | null {
  if (ascii(b, 4, 4) !== 'ftyp') return null;
  const end = Math.min(b.length, u32(b, 0));
  const brands = [ascii(b, 8, 4)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(b, i, 4));
  if (brands.some((x) => HEIC_BRANDS.has(x))) return 'image/heic';
  if (brands.some((x) => AVIF_BRANDS.has(x))) return null;
  if (brands.some((x) => HEIF_BRANDS.has(x))) return 'image/heif';
  return null;
}

interface Box {
  type: string;
  /** First byte of the payload (after size, type and any 64-bit size). */
  body: number;
  /** One past the last byte of the box. */
  end: number;
}

/**
 * The boxes between `from` and `to`. A box that runs past `to` means a truncated file at the top
 * level and a corrupt one inside another box; either is refused, so no reader trusts a size.
 */
function children(b: Uint8Array, from: number, to: number, topLevel: boolean): Box[] {
  const out: Box[] = [];
  let at = from;
  while (at < to) {
    if (at + 8 > to) throw truncatedOrCorrupt(topLevel, `a box header at byte ${at} is cut off`);
    let size = u32(b, at);
    const type = ascii(b, at + 4, 4);
    let body = at + 8;
    if (size === 1) {
      if (at + 16 > to) throw truncatedOrCorrupt(topLevel, `box "${type}" is cut off`);
      // 64-bit size: files this large are refused anyway, so the high word must be 0.
      if (u32(b, at + 8) !== 0) throw truncatedOrCorrupt(topLevel, `box "${type}" declares more than 4 GiB`);
      size = u32(b, at + 12);
      body = at + 16;
    } else if (size === 0) {
      // "To the end of the file": only meaningful for the last top-level box.
      size = to - at;
    }
    if (size < body - at) throw new ValidationError(`HEIC is corrupt (box "${type}" has size ${size})`);
    if (at + size > to)
      throw truncatedOrCorrupt(topLevel, `box "${type}" ends past ${topLevel ? 'the file' : 'its parent'}`);
    out.push({ type, body, end: at + size });
    at += size;
  }
  return out;
}

function truncatedOrCorrupt(topLevel: boolean, detail: string): ValidationError {
  return new ValidationError(topLevel ? `HEIC is truncated (${detail})` : `HEIC is corrupt (${detail})`);
}

function only(boxes: Box[], type: string, where: string): Box {
  const box = boxes.find((x) => x.type === type);
  if (!box) throw new ValidationError(`HEIC is corrupt (no "${type}" box in ${where})`);
  return box;
}

/**
 * Reads the brand, the primary image's size and transforms, and every declared size, from the
 * container alone. Throws ValidationError for a truncated or malformed container.
 */
export function readHeifHeader(b: Uint8Array): HeifHeader {
  const contentType = heifBrandType(b);
  if (!contentType) throw new ValidationError('body is not a HEIC/HEIF image');
  const top = children(b, 0, b.length, true);
  const meta = only(top, 'meta', 'the file');
  // meta is a FullBox: 4 bytes of version and flags before its children.
  const inMeta = children(b, meta.body + 4, meta.end, false);
  const pitm = only(inMeta, 'pitm', 'meta');
  const primary = b[pitm.body] === 0 ? u16(b, pitm.body + 4) : u32(b, pitm.body + 4);
  const iprpBox = only(inMeta, 'iprp', 'meta');
  const iprp = children(b, iprpBox.body, iprpBox.end, false);
  const ipco = only(iprp, 'ipco', 'iprp');
  const properties = children(b, ipco.body, ipco.end, false);
  // ispe is a FullBox: version and flags, then width and height.
  const sizeOf = (p: Box) => ({ width: u32(b, p.body + 4), height: u32(b, p.body + 8) });
  const declaredSizes = properties.filter((p) => p.type === 'ispe').map(sizeOf);

  const associated = iprp
    .filter((x) => x.type === 'ipma')
    .flatMap((ipma) => associations(b, ipma, primary))
    .map((index) => properties[index - 1])
    .filter((p): p is Box => p !== undefined);
  const ispe = associated.find((p) => p.type === 'ispe');
  if (!ispe) throw new ValidationError(`HEIC is corrupt (the primary image ${primary} has no "ispe" size)`);
  let rotation = 0;
  let mirrored = false;
  for (const p of associated) {
    if (p.type === 'irot') rotation = (rotation + ((b[p.body] ?? 0) & 3) * 90) % 360;
    if (p.type === 'imir') mirrored = !mirrored;
  }
  const stored = sizeOf(ispe);
  const sideways = rotation === 90 || rotation === 270;
  return {
    contentType,
    width: sideways ? stored.height : stored.width,
    height: sideways ? stored.width : stored.height,
    rotation: rotation as HeifHeader['rotation'],
    mirrored,
    declaredSizes,
  };
}

/** The 1-based `ipco` indexes that one `ipma` box associates with `item`, in order. */
function associations(b: Uint8Array, ipma: Box, item: number): number[] {
  const version = b[ipma.body] ?? 0;
  const wideIndexes = ((b[ipma.body + 3] ?? 0) & 1) === 1;
  const entries = u32(b, ipma.body + 4);
  let at = ipma.body + 8;
  for (let e = 0; e < entries; e++) {
    if (at + (version < 1 ? 3 : 5) > ipma.end) throw new ValidationError('HEIC is corrupt (ipma is cut off)');
    const id = version < 1 ? u16(b, at) : u32(b, at);
    at += version < 1 ? 2 : 4;
    const count = b[at] ?? 0;
    at += 1;
    const indexes: number[] = [];
    for (let a = 0; a < count; a++) {
      if (at + (wideIndexes ? 2 : 1) > ipma.end) throw new ValidationError('HEIC is corrupt (ipma is cut off)');
      // The top bit marks an essential property; the rest is the index.
      indexes.push(wideIndexes ? u16(b, at) & 0x7fff : (b[at] ?? 0) & 0x7f);
      at += wideIndexes ? 2 : 1;
    }
    if (id === item) return indexes;
  }
  return [];
}
