import { ValidationError } from '../errors.js';
import { heifBrandType, readHeifHeader } from './heif-header.js';
import { inspectPdf, isPdf } from './pdf-inspection.js';
import type { ImageContentType } from './image.js';

export interface ImageInfo {
  contentType: ImageContentType;
  /**
   * Width as the image is meant to be seen: a HEIF rotated by 90° or 270° (`irot`) swaps its stored
   * sides. 0 for a PDF, which has pages rather than pixels: the PDF reader measures each page.
   */
  width: number;
  height: number;
}

/** The formats {@link inspectImage} recognises, as its refusal names them. */
export const ACCEPTED_FORMAT_NAMES = ['JPEG', 'PNG', 'WebP', 'TIFF', 'HEIC/HEIF', 'PDF'] as const;

export interface InspectImageOptions {
  /** Refuse images above this many pixels (decompression bombs), default 50 MP. */
  maxPixels?: number;
}

export const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * Reads format and dimensions from the image header without decoding pixels, so that a
 * non-image, a truncated file or a 100-megapixel bomb is refused before any expensive work.
 * The format comes from the bytes (magic numbers), never from a declared type or a filename.
 * A PDF (`%PDF-`) gets core's inspectPdf: too big, truncated or encrypted is refused here.
 * Throws ValidationError naming what is wrong.
 *
 * @example
 * const { contentType, width, height } = inspectImage(bytes, { maxPixels: 50_000_000 });
 */
export function inspectImage(bytes: Uint8Array, options: InspectImageOptions = {}): ImageInfo {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (bytes.length < 16) throw new ValidationError('image is empty or too short to be an image');
  const info = readHeader(bytes, maxPixels);
  if (info.contentType === 'application/pdf') return info;
  if (info.width <= 0 || info.height <= 0) {
    throw new ValidationError(`image has invalid dimensions ${info.width}x${info.height}`);
  }
  refuseAbove(info.width, info.height, maxPixels);
  return info;
}

/**
 * The format the bytes are, from their magic numbers alone (no validation), or null when they
 * are none of the accepted formats. {@link inspectImage} is the full check.
 *
 * @example
 * sniffContentType(bytes); // 'image/heic' for an iPhone photo, whatever it was declared as
 */
export function sniffContentType(b: Uint8Array): ImageContentType | null {
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'image/webp';
  if ((b[0] === 0x49 && b[1] === 0x49) || (b[0] === 0x4d && b[1] === 0x4d)) return 'image/tiff';
  if (ascii(b, 4, 4) === 'ftyp') return heifBrandType(b);
  if (isPdf(b)) return 'application/pdf';
  return null;
}

function refuseAbove(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels) {
    throw new ValidationError(
      `image is ${width}x${height} (${((width * height) / 1e6).toFixed(1)} MP), above the ${(maxPixels / 1e6).toFixed(0)} MP limit`,
    );
  }
}

function notAccepted(): ValidationError {
  const names = ACCEPTED_FORMAT_NAMES;
  return new ValidationError(`body is not a ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]} file`);
}

function readHeader(b: Uint8Array, maxPixels: number): ImageInfo {
  switch (sniffContentType(b)) {
    case 'image/jpeg':
      return readJpeg(b);
    case 'image/png':
      return readPng(b);
    case 'image/webp':
      return readWebp(b);
    case 'image/tiff':
      return readTiff(b);
    case 'image/heic':
    case 'image/heif':
      return readHeif(b, maxPixels);
    case 'application/pdf':
      // Size, truncation and encryption here; page count and page sizes in the PDF reader.
      return { contentType: inspectPdf(b).contentType, width: 0, height: 0 };
    case null:
      if (ascii(b, 4, 4) === 'ftyp') {
        throw new ValidationError(`body is an ISO media file of brand "${ascii(b, 8, 4)}", not a HEIC/HEIF image`);
      }
      throw notAccepted();
  }
}

function ascii(b: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...b.subarray(start, start + length));
}

const u16be = (b: Uint8Array, i: number) => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u32be = (b: Uint8Array, i: number) => u16be(b, i) * 65536 + u16be(b, i + 2);
const u16le = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const u32le = (b: Uint8Array, i: number) => u16le(b, i) + u16le(b, i + 2) * 65536;

function readJpeg(b: Uint8Array): ImageInfo {
  // A JPEG that lost its tail (no End Of Image marker) decodes to a grey half-receipt.
  const tail = b.subarray(Math.max(0, b.length - 64));
  let hasEoi = false;
  for (let i = tail.length - 2; i >= 0; i--) {
    if (tail[i] === 0xff && tail[i + 1] === 0xd9) {
      hasEoi = true;
      break;
    }
  }
  if (!hasEoi) throw new ValidationError('JPEG is truncated (no end-of-image marker)');
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) throw new ValidationError(`JPEG is corrupt (bad marker at byte ${i})`);
    const marker = b[i + 1] ?? 0;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { contentType: 'image/jpeg', height: u16be(b, i + 5), width: u16be(b, i + 7) };
    i += 2 + u16be(b, i + 2);
  }
  throw new ValidationError('JPEG is corrupt (no frame header)');
}

function readPng(b: Uint8Array): ImageInfo {
  if (ascii(b, 12, 4) !== 'IHDR') throw new ValidationError('PNG is corrupt (no IHDR chunk)');
  if (ascii(b, b.length - 8, 4) !== 'IEND') throw new ValidationError('PNG is truncated (no IEND chunk)');
  return { contentType: 'image/png', width: u32be(b, 16), height: u32be(b, 20) };
}

function readWebp(b: Uint8Array): ImageInfo {
  const declared = u32le(b, 4) + 8;
  if (declared > b.length) throw new ValidationError('WebP is truncated');
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X') {
    const width = 1 + ((b[24] ?? 0) | ((b[25] ?? 0) << 8) | ((b[26] ?? 0) << 16));
    const height = 1 + ((b[27] ?? 0) | ((b[28] ?? 0) << 8) | ((b[29] ?? 0) << 16));
    return { contentType: 'image/webp', width, height };
  }
  if (chunk === 'VP8 ') {
    return { contentType: 'image/webp', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const bits = u32le(b, 21);
    return { contentType: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  throw new ValidationError(`WebP has an unknown chunk "${chunk}"`);
}

function readHeif(b: Uint8Array, maxPixels: number): ImageInfo {
  const header = readHeifHeader(b);
  // Any declared image can be the bomb (a grid of small tiles declares a huge canvas): all are
  // checked here, from the container, so the decoder never allocates for one.
  for (const size of header.declaredSizes) refuseAbove(size.width, size.height, maxPixels);
  return { contentType: header.contentType, width: header.width, height: header.height };
}

function readTiff(b: Uint8Array): ImageInfo {
  const le = b[0] === 0x49;
  const u16 = le ? u16le : u16be;
  const u32 = le ? u32le : u32be;
  if (u16(b, 2) !== 42) throw notAccepted();
  const ifd = u32(b, 4);
  if (ifd + 2 > b.length) throw new ValidationError('TIFF is truncated');
  const entries = u16(b, ifd);
  let width = 0;
  let height = 0;
  for (let n = 0; n < entries; n++) {
    const at = ifd + 2 + n * 12;
    if (at + 12 > b.length) throw new ValidationError('TIFF is truncated');
    const tag = u16(b, at);
    const type = u16(b, at + 2);
    const value = type === 3 ? u16(b, at + 8) : u32(b, at + 8);
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  return { contentType: 'image/tiff', width, height };
}
