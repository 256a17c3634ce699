import { describe, expect, it } from 'vitest';
import { ValidationError, inspectImage, readHeifHeader, sniffContentType } from '../src/index.js';
import { heifContainer } from '../src/testing/index.js';

describe('inspectImage on HEIC/HEIF', () => {
  it('reads an iPhone-style HEIC: brand heic, size from the primary image ispe', () => {
    expect(inspectImage(heifContainer({ width: 4032, height: 3024 }))).toEqual({
      contentType: 'image/heic',
      width: 4032,
      height: 3024,
    });
  });

  it('calls a generic HEIF (brand mif1 only) image/heif', () => {
    expect(inspectImage(heifContainer({ brand: 'mif1', width: 800, height: 600 })).contentType).toBe('image/heif');
  });

  it('reports the upright size: an irot of 90 or 270 degrees swaps the stored sides, 180 does not', () => {
    for (const [rotation, size] of [
      [90, [3024, 4032]],
      [270, [3024, 4032]],
      [180, [4032, 3024]],
    ] as const) {
      const info = inspectImage(heifContainer({ width: 4032, height: 3024, rotation }));
      expect([info.width, info.height], `irot ${rotation}`).toEqual(size);
    }
    const header = readHeifHeader(heifContainer({ width: 10, height: 20, rotation: 270, mirror: true }));
    expect(header).toMatchObject({ rotation: 270, mirrored: true, width: 20, height: 10 });
  });

  it('refuses a HEIC that declares 100,000 x 100,000 pixels from its container, before any decoding', () => {
    expect(() => inspectImage(heifContainer({ width: 100_000, height: 100_000 }))).toThrow(
      /100000x100000 \(10000\.0 MP\), above the 50 MP limit/,
    );
  });

  it('refuses a bomb hidden in another image of the file (a grid tile or thumbnail), not only the primary', () => {
    const hidden = heifContainer({ width: 640, height: 480, otherSizes: [{ width: 60_000, height: 60_000 }] });
    expect(() => inspectImage(hidden)).toThrow(/60000x60000/);
    expect(inspectImage(hidden, { maxPixels: 4_000_000_000 }).width).toBe(640);
  });

  it('refuses a truncated HEIC, naming the cut', () => {
    expect(() => inspectImage(heifContainer({ width: 64, height: 64, truncateBy: 10 }))).toThrow(
      /HEIC is truncated \(box "mdat" ends past the file\)/,
    );
  });

  it('refuses an AVIF (same container, a codec the decoder lacks) and other ISO media, naming the brand', () => {
    expect(() => inspectImage(heifContainer({ brand: 'avif', width: 64, height: 64 }))).toThrow(
      /ISO media file of brand "avif", not a HEIC\/HEIF image/,
    );
    // An MP4 video: ftyp isom with no image brand.
    const mp4 = Uint8Array.from([
      0,
      0,
      0,
      20,
      ...Buffer.from('ftypisom'),
      0,
      0,
      2,
      0,
      ...Buffer.from('mp41'),
      0,
      0,
      0,
      8,
      ...Buffer.from('free'),
    ]);
    expect(() => inspectImage(mp4)).toThrow(/brand "isom"/);
  });

  it('refuses a HEIF whose primary image has no size instead of guessing one', () => {
    const bytes = heifContainer({ width: 64, height: 64 });
    // Rename the only ispe so that nothing declares the primary image's size.
    const at = Buffer.from(bytes).indexOf('ispe');
    bytes.set([0x78, 0x78, 0x78, 0x78], at);
    expect(() => inspectImage(bytes)).toThrow(ValidationError);
    expect(() => inspectImage(bytes)).toThrow(/no "ispe" size/);
  });
});

describe('sniffContentType', () => {
  it('names the format from the magic bytes alone, whatever a client declared', () => {
    expect(sniffContentType(heifContainer({ width: 1, height: 1 }))).toBe('image/heic');
    expect(sniffContentType(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffContentType(Uint8Array.from([0x89, 0x50, 0x4e, 0x47]))).toBe('image/png');
    expect(sniffContentType(new TextEncoder().encode('%PDF-1.7\n'))).toBe('application/pdf');
  });

  it('lists every accepted format when refusing a body that is none of them', () => {
    expect(() => inspectImage(new TextEncoder().encode('this is a grocery list, not a photo'))).toThrow(
      'body is not a JPEG, PNG, WebP, TIFF, HEIC/HEIF or PDF file',
    );
  });
});
