import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import {
  describePreprocess,
  isNoop,
  NO_PREPROCESS,
  OcrPreprocessSchema,
  preprocessImage,
} from '../../src/ocr/index.js';

/** A 200×100 image: a light grey page, a darker band on the right (uneven light), faint text. */
function unevenPage(): Buffer {
  const c = createCanvas(200, 100);
  const g = c.getContext('2d');
  g.fillStyle = 'rgb(225,225,225)';
  g.fillRect(0, 0, 200, 100);
  g.fillStyle = 'rgb(120,120,150)';
  g.fillRect(100, 0, 100, 100);
  g.fillStyle = 'rgb(160,160,160)';
  g.fillRect(20, 40, 40, 6);
  g.fillStyle = 'rgb(60,60,60)';
  g.fillRect(130, 40, 40, 6);
  return c.toBuffer('image/png');
}

async function pixels(png: Buffer) {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  c.getContext('2d').drawImage(img, 0, 0);
  return {
    width: img.width,
    height: img.height,
    data: c.getContext('2d').getImageData(0, 0, img.width, img.height).data,
  };
}

describe('OCR preprocessing', () => {
  it('no step means no work: the image is handed over as it came', () => {
    expect(isNoop(NO_PREPROCESS)).toBe(true);
    expect(describePreprocess(NO_PREPROCESS)).toBe('none');
  });

  it('scales to the target width, keeping the aspect, and reports the new size', async () => {
    const { png, size } = await preprocessImage(unevenPage(), OcrPreprocessSchema.parse({ targetWidth: 400 }));
    expect(size).toEqual({ width: 400, height: 200 });
    expect((await pixels(png)).width).toBe(400);
  });

  it('grey leaves one channel', async () => {
    const { png } = await preprocessImage(unevenPage(), OcrPreprocessSchema.parse({ grey: true }));
    const { data } = await pixels(png);
    const i = (50 * 200 + 150) * 4;
    expect(data[i]).toBe(data[i + 1]);
    expect(data[i + 1]).toBe(data[i + 2]);
  });

  it('Sauvola binarises by local contrast: faint marks on a light page and dark marks in a shadow both turn black, both pages white', async () => {
    const { png } = await preprocessImage(unevenPage(), OcrPreprocessSchema.parse({ grey: true, binarize: true }));
    const { data } = await pixels(png);
    const at = (x: number, y: number) => data[(y * 200 + x) * 4];
    expect(new Set(Array.from({ length: 200 * 100 }, (_, i) => data[i * 4]))).toEqual(new Set([0, 255]));
    expect(at(40, 43)).toBe(0); // faint mark on the light half
    expect(at(150, 43)).toBe(0); // dark mark in the shadow
    expect(at(40, 80)).toBe(255); // light page
    expect(at(150, 80)).toBe(255); // shadowed page, which a global threshold would blacken
  });

  it('names its steps for cache keys and reports', () => {
    expect(describePreprocess(OcrPreprocessSchema.parse({ grey: true, targetWidth: 1200, binarize: true }))).toMatch(
      /^grey,w1200,sauvola/,
    );
    expect(() => OcrPreprocessSchema.parse({ targetWidth: -1 })).toThrow();
  });
});
