import { createCanvas, loadImage } from '@napi-rs/canvas';
import * as z from 'zod';
import type { ImageSize } from './tesseract-page-to-ocr-document.js';

/**
 * What is done to an image before tesseract reads it. Each step was measured on the SROIE dev
 * scans with `pnpm eval --ocr-preprocess …` (docs/benchmarks.md, "OCR preprocessing").
 */
export const OcrPreprocessSchema = z.object({
  /** Luminance only. Tesseract greys colour input itself; done here so later steps see one channel. */
  grey: z.boolean().default(false),
  /**
   * Resample so that the image is this many pixels wide (up or down), or 0 to keep the size.
   * Receipt scans arrive from 460 to 4960 px wide; tesseract reads best at a steady text height.
   */
  targetWidth: z.number().int().min(0).max(6000).default(0),
  /**
   * Binarise with Sauvola's local threshold (window ~1/40 of the width). Tesseract's own global
   * Otsu loses faint thermal print next to dark regions.
   */
  binarize: z.boolean().default(false),
});
export type OcrPreprocess = z.infer<typeof OcrPreprocessSchema>;

/** No preprocessing: the image goes to tesseract as it came. */
export const NO_PREPROCESS: OcrPreprocess = OcrPreprocessSchema.parse({});

/** Short stable text of the steps, for cache keys and reports ("grey,w1200,sauvola"). */
export function describePreprocess(p: OcrPreprocess): string {
  const steps = [
    p.grey ? 'grey' : '',
    p.targetWidth > 0 ? `w${p.targetWidth}` : '',
    p.binarize ? `sauvola${SAUVOLA_K}` : '',
  ].filter(Boolean);
  return steps.length > 0 ? steps.join(',') : 'none';
}

/** True when no step is on, so the image can be handed over untouched (no decode, no re-encode). */
export function isNoop(p: OcrPreprocess): boolean {
  return !p.grey && p.targetWidth === 0 && !p.binarize;
}

/**
 * Applies the steps and returns a PNG with its size. Decoding honours EXIF orientation (as
 * tesseract does), so boxes found on the result, normalised by the returned size, line up with
 * the original image.
 */
export async function preprocessImage(bytes: Uint8Array, p: OcrPreprocess): Promise<{ png: Buffer; size: ImageSize }> {
  const image = await loadImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const scale = p.targetWidth > 0 ? p.targetWidth / image.width : 1;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(image, 0, 0, width, height);
  if (p.grey || p.binarize) {
    const data = ctx.getImageData(0, 0, width, height);
    const grey = toGrey(data.data, width * height);
    if (p.binarize) sauvola(grey, width, height);
    const px = data.data;
    for (let i = 0; i < grey.length; i++) {
      const v = grey[i]!;
      px[i * 4] = v;
      px[i * 4 + 1] = v;
      px[i * 4 + 2] = v;
      px[i * 4 + 3] = 255;
    }
    ctx.putImageData(data, 0, 0);
  }
  return { png: canvas.toBuffer('image/png'), size: { width, height } };
}

function toGrey(rgba: Uint8ClampedArray, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    // ITU-R BT.601 luma, as leptonica's pixConvertRGBToLuminance.
    out[i] = Math.round(0.299 * rgba[i * 4]! + 0.587 * rgba[i * 4 + 1]! + 0.114 * rgba[i * 4 + 2]!);
  }
  return out;
}

/**
 * Sauvola's k: 0.2–0.5 in the literature, for dark print. Faint thermal print with thin strokes
 * breaks up at 0.25 (SROIE 600: "KEGAH RETAIL SIN 34D" at 0.1, "MEGAH RETAIL SDN BHD" at 0.05).
 */
const SAUVOLA_K = 0.05;
/** Dynamic range of the standard deviation for 8-bit images. */
const SAUVOLA_R = 128;

/**
 * In-place Sauvola binarisation, T = m · (1 + k · (s / R − 1)), with the window mean m and
 * deviation s read from integral images, so the cost is linear in the pixels whatever the window.
 */
function sauvola(grey: Uint8Array, width: number, height: number): void {
  const half = Math.max(7, Math.round(width / 80));
  const w1 = width + 1;
  const sum = new Float64Array(w1 * (height + 1));
  const sq = new Float64Array(w1 * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    let rowSq = 0;
    for (let x = 0; x < width; x++) {
      const v = grey[y * width + x]!;
      rowSum += v;
      rowSq += v * v;
      sum[(y + 1) * w1 + x + 1] = sum[y * w1 + x + 1]! + rowSum;
      sq[(y + 1) * w1 + x + 1] = sq[y * w1 + x + 1]! + rowSq;
    }
  }
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - half);
    const y1 = Math.min(height, y + half + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - half);
      const x1 = Math.min(width, x + half + 1);
      const area = (y1 - y0) * (x1 - x0);
      const s = sum[y1 * w1 + x1]! - sum[y0 * w1 + x1]! - sum[y1 * w1 + x0]! + sum[y0 * w1 + x0]!;
      const q = sq[y1 * w1 + x1]! - sq[y0 * w1 + x1]! - sq[y1 * w1 + x0]! + sq[y0 * w1 + x0]!;
      const mean = s / area;
      const sd = Math.sqrt(Math.max(0, q / area - mean * mean));
      const threshold = mean * (1 + SAUVOLA_K * (sd / SAUVOLA_R - 1));
      grey[y * width + x] = grey[y * width + x]! > threshold ? 255 : 0;
    }
  }
}
