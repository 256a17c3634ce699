import { createCanvas, type Canvas } from '@napi-rs/canvas';

/** EXIF orientation values: 1 upright, 2–8 the mirrors and quarter turns (EXIF 2.3, tag 0x0112). */
export type ExifOrientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
export const EXIF_ORIENTATIONS: readonly ExifOrientation[] = [1, 2, 3, 4, 5, 6, 7, 8];

/**
 * For each orientation, where a stored pixel comes from in the upright picture of size W×H, as a
 * canvas transform `[a, b, c, d, e, f]` (stored x = a·X + c·Y + e, stored y = b·X + d·Y + f).
 * It is the inverse of what a viewer does to the stored pixels when it honours the tag.
 */
function uprightToStored(o: ExifOrientation, w: number, h: number): [number, number, number, number, number, number] {
  switch (o) {
    case 1:
      return [1, 0, 0, 1, 0, 0];
    case 2:
      return [-1, 0, 0, 1, w, 0];
    case 3:
      return [-1, 0, 0, -1, w, h];
    case 4:
      return [1, 0, 0, -1, 0, h];
    case 5:
      return [0, 1, 1, 0, 0, 0];
    case 6:
      return [0, -1, 1, 0, 0, w];
    case 7:
      return [0, -1, -1, 0, h, w];
    case 8:
      return [0, 1, -1, 0, h, 0];
  }
}

/**
 * The pixels a camera would store for an upright picture together with orientation `o`: a viewer
 * that applies `o` to them shows `upright` again. Orientations 5–8 swap width and height.
 *
 * @example
 * const stored = storedForOrientation(drawReceipt(spec), 6); // turned a quarter anticlockwise
 * const jpeg = withExifOrientation(stored.toBuffer('image/jpeg', 92), 6); // displays upright
 */
export function storedForOrientation(upright: Canvas, o: ExifOrientation): Canvas {
  const { width: w, height: h } = upright;
  const sideways = o >= 5;
  const stored = createCanvas(sideways ? h : w, sideways ? w : h);
  const g = stored.getContext('2d');
  g.setTransform(...uprightToStored(o, w, h));
  g.drawImage(upright, 0, 0);
  return stored;
}

/**
 * The JPEG with an EXIF APP1 segment carrying orientation `o` inserted right after its start
 * marker, where EXIF belongs (a big-endian TIFF block with one IFD entry, tag 0x0112).
 *
 * @example
 * const tagged = withExifOrientation(jpegBytes, 8);
 */
export function withExifOrientation(jpeg: Uint8Array, o: ExifOrientation): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new TypeError('not a JPEG (no start-of-image marker)');
  const tiff = [
    ...[0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08], // "MM", 42, first IFD at offset 8
    ...[0x00, 0x01], // one entry
    ...[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, o, 0x00, 0x00], // Orientation, SHORT, 1 value
    ...[0x00, 0x00, 0x00, 0x00], // no next IFD
  ];
  const payload = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00, ...tiff]; // "Exif\0\0"
  const length = payload.length + 2;
  const app1 = [0xff, 0xe1, length >> 8, length & 0xff, ...payload];
  const out = new Uint8Array(jpeg.length + app1.length);
  out.set(jpeg.subarray(0, 2), 0);
  out.set(app1, 2);
  out.set(jpeg.subarray(2), 2 + app1.length);
  return out;
}
