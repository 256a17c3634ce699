import { createRequire } from 'node:module';
import { createCanvas } from '@napi-rs/canvas';
import { ValidationError } from '@receiptflow/core';

/** heic-decode's default export (the package ships no types): a buffer to RGBA pixels. */
type HeicDecode = (input: { buffer: Uint8Array }) => Promise<{
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, rows top to bottom. */
  data: Uint8ClampedArray;
}>;

/**
 * HEIC/HEIF to PNG, for the engines that cannot read HEIC (tesseract, the canvas). The decoder is
 * heic-decode, libheif compiled to WebAssembly: no native build, the same bytes on every Node and
 * machine, and libheif is the reference HEIF implementation (docs/formats.md says why this one).
 *
 * libheif applies the container's transforms (`irot`, `imir`, `clap`) while decoding, so the
 * pixels come out upright, as a phone shows the photo; OCR geometry is then in that frame.
 *
 * Callers check the size first (core's inspectImage reads it from the container): the decoder
 * allocates width × height × 4 bytes, which for a HEIC bomb is the damage itself.
 */
export async function decodeHeifToPng(bytes: Uint8Array): Promise<{ png: Buffer; width: number; height: number }> {
  // Loaded on first use: the WebAssembly module is ~2 MB and only HEIC uploads need it.
  const decode = createRequire(import.meta.url)('heic-decode') as HeicDecode;
  let decoded: Awaited<ReturnType<HeicDecode>>;
  try {
    decoded = await decode({ buffer: bytes });
  } catch (error) {
    throw new ValidationError(
      'HEIC image could not be decoded',
      [error instanceof Error ? error.message : String(error)],
      { cause: error },
    );
  }
  const { width, height, data } = decoded;
  const pixels = createCanvas(width, height);
  const image = pixels.getContext('2d').createImageData(width, height);
  image.data.set(data);
  pixels.getContext('2d').putImageData(image, 0, 0);
  // Flattened on white: a HEIF with an alpha plane would otherwise give OCR transparent paper.
  const page = createCanvas(width, height);
  const g = page.getContext('2d');
  g.fillStyle = 'white';
  g.fillRect(0, 0, width, height);
  g.drawImage(pixels, 0, 0);
  return { png: page.toBuffer('image/png'), width, height };
}
