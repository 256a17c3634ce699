import { afterAll, describe, expect, it } from 'vitest';
import { loadImage } from '@napi-rs/canvas';
import { ValidationError } from '@receiptflow/core';
import { heifContainer } from '@receiptflow/core/testing';
import { TesseractOcrEngine } from '../../src/ocr/index.js';
import { decodeHeifToPng } from '../../src/ocr/heif-decoder.js';
import { drawReceipt, HEIC_FIXTURE_RECEIPT, readHeicFixture } from '../../src/synthetic/index.js';

/** Share of dark pixels (a receipt's ink) in the top-left quarter of a PNG. */
async function inkTopLeft(png: Uint8Array): Promise<number> {
  const image = await loadImage(png);
  const { createCanvas } = await import('@napi-rs/canvas');
  const canvas = createCanvas(image.width, image.height);
  const g = canvas.getContext('2d');
  g.drawImage(image, 0, 0);
  const { data } = g.getImageData(0, 0, Math.floor(image.width / 2), Math.floor(image.height / 2));
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i]! < 128) dark++;
  return dark / (data.length / 4);
}

describe('decodeHeifToPng (heic-decode: libheif in WebAssembly)', () => {
  it('decodes a HEIC stored a quarter turn off (irot) to upright pixels of the upright size', async () => {
    const upright = drawReceipt(HEIC_FIXTURE_RECEIPT.spec);
    const decoded = await decodeHeifToPng(readHeicFixture(6));
    expect([decoded.width, decoded.height]).toEqual([upright.width, upright.height]);
    // The receipt prints its merchant and address top left; the stored (turned) pixels have
    // their text along the left edge, bottom to top, and so less ink in that corner.
    const expected = await inkTopLeft(new Uint8Array(upright.toBuffer('image/png')));
    expect(Math.abs((await inkTopLeft(decoded.png)) - expected)).toBeLessThan(expected * 0.2);
  });

  it('refuses a HEIC whose image data is not HEVC with a ValidationError naming the decoder failure', async () => {
    const junk = heifContainer({ width: 64, height: 64 });
    const refused = await decodeHeifToPng(junk).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as Error).message).toMatch(/^HEIC image could not be decoded: /);
  });
});

describe('TesseractOcrEngine on HEIC', () => {
  const engine = new TesseractOcrEngine();
  afterAll(() => engine.terminate());

  it('refuses a HEIC bomb from its container size, before the decoder runs', async () => {
    // Were the decoder reached, its own error about the junk pixels would be the message.
    await expect(engine.recognize(heifContainer({ width: 100_000, height: 100_000 }))).rejects.toThrow(
      /100000x100000 .* above the 50 MP limit/,
    );
    await expect(engine.recognize(heifContainer({ width: 64, height: 64 }))).rejects.toThrow(
      /HEIC image could not be decoded/,
    );
  });
});
