import { crc32, deflateSync } from 'node:zlib';
import { inspectImage } from '@receiptflow/core';
import { describe, expect, it } from 'vitest';
import { withTrailer } from '../../bench/hot-path.js';

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const body = Buffer.concat([head.subarray(4), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([head.subarray(0, 4), body, crc]);
}

/** A valid 2 x 1 greyscale PNG. */
function tinyPng(): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from([0, 10, 200]))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

describe("the hot-path bench's distinct uploads", () => {
  it('marks a PNG inside the file, so each upload differs and still passes upload inspection', () => {
    const png = tinyPng();
    expect(inspectImage(png).contentType).toBe('image/png');
    const [a, b] = [withTrailer(png, 1), withTrailer(png, 2)];
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    for (const marked of [a, b]) {
      // A mark after IEND made upload inspection refuse the PNG as truncated, and the bench stop.
      const seen = inspectImage(marked);
      expect(seen.contentType).toBe('image/png');
      expect([seen.width, seen.height]).toEqual([2, 1]);
      expect(Buffer.from(marked.subarray(-12)).equals(Buffer.from(png.subarray(-12)))).toBe(true);
    }
  });

  it('appends the mark to other formats', () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    const marked = withTrailer(jpeg, 3);
    expect(Array.from(marked.subarray(0, 4))).toEqual(Array.from(jpeg));
    expect(new TextDecoder().decode(marked.subarray(4))).toBe('bench-upload-3');
  });
});
