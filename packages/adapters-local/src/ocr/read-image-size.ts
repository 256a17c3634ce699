import { loadImage } from '@napi-rs/canvas';
import { ValidationError, inspectImage } from '@receiptflow/core';
import { decodeHeifToPng } from './heif-decoder.js';
import type { ImageSize } from './tesseract-page-to-ocr-document.js';

/** An image as the OCR engine will read it: bytes it can decode, and their upright size. */
export interface ReadableImage {
  bytes: Uint8Array;
  size: ImageSize;
}

/**
 * The image in a form tesseract and the canvas read, with its size, refusing non-images and
 * bombs before any decoding (core's inspectImage). HEIC/HEIF, which neither reads, is decoded
 * (transforms applied, so upright) to PNG; every other format is handed over untouched.
 *
 * @example
 * const { bytes, size } = await readableImage(upload, 50_000_000);
 */
export async function readableImage(bytes: Uint8Array, maxPixels?: number): Promise<ReadableImage> {
  const header = inspectImage(bytes, maxPixels === undefined ? {} : { maxPixels });
  if (header.contentType === 'image/heic' || header.contentType === 'image/heif') {
    const decoded = await decodeHeifToPng(bytes);
    const png = new Uint8Array(decoded.png.buffer, decoded.png.byteOffset, decoded.png.byteLength);
    return { bytes: png, size: { width: decoded.width, height: decoded.height } };
  }
  return { bytes, size: await readImageSize(bytes, maxPixels) };
}

/**
 * Size of the image as OCR will see it, refusing non-images before any OCR work.
 *
 * The header check (core's inspectImage) refuses non-images, empty bodies and decompression
 * bombs cheaply. The decode then gives the size AFTER the EXIF orientation is applied, which is
 * what tesseract.js recognises too (it rotates by EXIF), so normalised boxes line up. Formats the
 * canvas cannot decode (TIFF) fall back to the header size; tesseract is the final judge there.
 */
export async function readImageSize(bytes: Uint8Array, maxPixels?: number): Promise<ImageSize> {
  const header = inspectImage(bytes, maxPixels === undefined ? {} : { maxPixels });
  try {
    const image = await loadImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (image.width > 0 && image.height > 0) return { width: image.width, height: image.height };
  } catch (error) {
    if (header.contentType !== 'image/tiff') {
      throw new ValidationError(`${header.contentType} image could not be decoded`, [errorText(error)], {
        cause: error,
      });
    }
  }
  return { width: header.width, height: header.height };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
