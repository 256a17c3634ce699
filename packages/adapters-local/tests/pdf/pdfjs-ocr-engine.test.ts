import { afterAll, describe, expect, it } from 'vitest';
import {
  ValidationError,
  axisAlignedGeometry,
  type OcrDocument,
  type OcrEngine,
  type OcrLine,
} from '@receiptflow/core';
import { blankPdf, encryptedPdf, receiptPdf } from '@receiptflow/devkit/pdf-fixtures';
import { PdfJsOcrEngine } from '../../src/pdf/index.js';
import { TesseractOcrEngine } from '../../src/ocr/index.js';
import { demoReceipts, printedLines, renderReceipt } from '../../src/synthetic/index.js';
import { readImageSize } from '../../src/ocr/read-image-size.js';

/** An image OCR engine that counts its calls and answers one fixed line (no tesseract). */
class CountingOcr implements OcrEngine {
  readonly name = 'counting-ocr';
  readonly seen: Uint8Array[] = [];
  async recognize(image: Uint8Array): Promise<OcrDocument> {
    this.seen.push(image);
    const size = await readImageSize(image);
    const geometry = axisAlignedGeometry({ x: 0.1, y: 0.8, width: 0.5, height: 0.05 });
    const word = { text: 'SCANNED', confidence: 0.95, ...geometry, letters: [] };
    return {
      engine: this.name,
      image_width: size.width,
      image_height: size.height,
      lines: [{ text: 'SCANNED', confidence: 0.95, ...geometry, words: [word] }],
    };
  }
}

const [first, second] = demoReceipts(1);
const spec = first!.spec;

/** What a test compares of a line: its text and its rounded box (normalised, bottom-left). */
const shape = (lines: readonly OcrLine[]) =>
  lines.map((l) => ({
    text: l.text,
    box: [l.bounding_box.x, l.bounding_box.y, l.bounding_box.width, l.bounding_box.height].map((v) =>
      Number(v.toFixed(4)),
    ),
    angle: Math.round(l.angle_degrees),
    words: l.words.map((w) => w.text),
  }));

async function refusal(engine: OcrEngine, bytes: Uint8Array): Promise<ValidationError> {
  const error = await engine.recognize(bytes).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('PdfJsOcrEngine', () => {
  it('reads a text-layer page into its printed lines and words, with no OCR call at all', async () => {
    const ocr = new CountingOcr();
    const engine = new PdfJsOcrEngine(ocr);
    const doc = await engine.recognize(await receiptPdf([{ spec, kind: 'text' }]));

    expect(ocr.seen).toHaveLength(0);
    expect(engine.pagesOcrd).toBe(0);
    expect(doc.engine).toBe('pdf.js');
    expect(doc.lines).toEqual([]);
    const page = doc.pages![0]!;
    expect(page).toMatchObject({ page: 1, text_source: 'text_layer', rotation: 0, engine: 'pdf.js' });
    expect(page.lines.map((l) => l.text)).toEqual(printedLines(spec));
    // Words are the whitespace-separated pieces, left to right, inside their line's box.
    for (const line of page.lines) {
      expect(line.words.map((w) => w.text).join(' ')).toBe(line.text);
      expect(line.confidence).toBe(1);
      const xs = line.words.map((w) => w.bounding_box.x);
      expect(xs).toEqual([...xs].sort((a, b) => a - b));
      for (const w of line.words) {
        expect(w.bounding_box.x).toBeGreaterThanOrEqual(line.bounding_box.x - 1e-9);
        expect(w.bounding_box.x + w.bounding_box.width).toBeLessThanOrEqual(
          line.bounding_box.x + line.bounding_box.width + 1e-9,
        );
        expect(w.letters.map((c) => c.text).join('')).toBe(w.text);
      }
    }
    // Top to bottom, origin bottom-left, axis-aligned.
    const ys = page.lines.map((l) => l.bounding_box.y);
    expect(ys).toEqual([...ys].sort((a, b) => b - a));
    expect(page.lines.every((l) => Math.abs(l.angle_degrees) < 1e-6)).toBe(true);
  });

  it.each([90, 180, 270] as const)(
    'honours /Rotate %i: the lines are those of the upright page, geometry and all',
    async (rotate) => {
      const engine = new PdfJsOcrEngine(new CountingOcr());
      const upright = await engine.recognize(await receiptPdf([{ spec, kind: 'text' }]));
      const turned = await engine.recognize(await receiptPdf([{ spec, kind: 'text', rotate }]));
      const page = turned.pages![0]!;
      expect(page.rotation).toBe(rotate);
      expect([page.image_width, page.image_height]).toEqual([
        upright.pages![0]!.image_width,
        upright.pages![0]!.image_height,
      ]);
      expect(shape(page.lines)).toEqual(shape(upright.pages![0]!.lines));
    },
  );

  it('renders a page without a text layer, upright, and OCRs it once', async () => {
    const ocr = new CountingOcr();
    const engine = new PdfJsOcrEngine(ocr, { renderDpi: 144 });
    const rendered = await renderReceipt(spec);
    for (const rotate of [0, 90] as const) {
      const doc = await engine.recognize(await receiptPdf([{ spec, kind: 'scan', rotate }]));
      const page = doc.pages![0]!;
      expect(page).toMatchObject({ page: 1, text_source: 'ocr', rotation: rotate, engine: 'counting-ocr' });
      expect(page.lines.map((l) => l.text)).toEqual(['SCANNED']);
      // At 144 dpi the page (the receipt at 2 px a point) renders at the receipt's own size, upright.
      const size = await readImageSize(ocr.seen.at(-1)!);
      expect(Math.abs(size.width - rendered.width)).toBeLessThanOrEqual(1);
      expect(Math.abs(size.height - rendered.height)).toBeLessThanOrEqual(1);
      expect([page.image_width, page.image_height]).toEqual([size.width, size.height]);
    }
    expect(ocr.seen).toHaveLength(2);
    expect(engine.pagesOcrd).toBe(2);
  });

  it('caps a rendering in pixels: a big page is rendered smaller, never larger', async () => {
    const ocr = new CountingOcr();
    const engine = new PdfJsOcrEngine(ocr, { renderDpi: 600, maxRenderPixels: 200_000 });
    await engine.recognize(await receiptPdf([{ spec, kind: 'scan' }]));
    const size = await readImageSize(ocr.seen[0]!);
    expect(size.width * size.height).toBeLessThanOrEqual(200_000);
    expect(size.width * size.height).toBeGreaterThan(150_000);
  });

  it('gives each page of a two-page PDF its own page: text layer first, scan second', async () => {
    const ocr = new CountingOcr();
    const doc = await new PdfJsOcrEngine(ocr).recognize(
      await receiptPdf([
        { spec, kind: 'text' },
        { spec: second!.spec, kind: 'scan' },
      ]),
    );
    expect(doc.pages!.map((p) => [p.page, p.text_source])).toEqual([
      [1, 'text_layer'],
      [2, 'ocr'],
    ]);
    expect(doc.pages![0]!.lines[0]!.text).toBe(spec.merchant_name);
    expect(doc.engine).toBe('pdf.js+counting-ocr');
    expect(ocr.seen).toHaveLength(1);
  });

  it('passes anything that is not a PDF by content to the image engine untouched', async () => {
    const ocr = new CountingOcr();
    const png = (await renderReceipt(spec)).png;
    const doc = await new PdfJsOcrEngine(ocr).recognize(png);
    expect(ocr.seen).toEqual([png]);
    expect(doc.pages).toBeUndefined();
  });

  describe('refuses, naming the problem, before any page is read', () => {
    const ocr = new CountingOcr();
    const engine = new PdfJsOcrEngine(ocr);
    afterAll(() => expect(ocr.seen).toHaveLength(0));

    it('an encrypted PDF', async () => {
      expect((await refusal(engine, await encryptedPdf(spec))).message).toMatch(/encrypted/);
    });

    it('a truncated PDF', async () => {
      const pdf = await receiptPdf([{ spec, kind: 'text' }]);
      expect((await refusal(engine, pdf.subarray(0, Math.floor(pdf.length * 0.6)))).message).toMatch(/truncated/);
    });

    it('a malformed PDF (a header, an end, and garbage between)', async () => {
      const garbage = new TextEncoder().encode('%PDF-1.7\n' + 'x'.repeat(2000) + '\nstartxref\n12\n%%EOF\n');
      expect((await refusal(engine, garbage)).message).toMatch(/malformed/);
    });

    it('a page declaring 100,000 × 100,000 points, before it is rendered', async () => {
      const bomb = await blankPdf({ pages: 1, width: 100_000, height: 100_000 });
      expect((await refusal(engine, bomb)).message).toMatch(/page 1 is 100,000 × 100,000 pt/);
    });

    it('a big page behind a small one: every page size is checked before the first is read', async () => {
      expect((await engine.recognize(await blankPdf({ pages: 1 }))).pages).toHaveLength(1);
      const bigSecond = await blankPdf({
        sizes: [
          [200, 200],
          [20_000, 300],
        ],
      });
      expect((await refusal(engine, bigSecond)).message).toMatch(/page 2 is 20,000 × 300 pt/);
    });

    it('more pages than the limit', async () => {
      const many = await blankPdf({ pages: 4 });
      expect((await refusal(new PdfJsOcrEngine(ocr, { maxPages: 3 }), many)).message).toMatch(
        /PDF has 4 pages, at most 3/,
      );
    });

    it('an oversized PDF', async () => {
      const pdf = await receiptPdf([{ spec, kind: 'text' }]);
      const small = new PdfJsOcrEngine(ocr, { maxBytes: 500 });
      expect((await refusal(small, pdf)).message).toMatch(/^PDF is \d+\.\d MiB, above the \d+\.\d MiB limit/);
    });
  });

  it('refuses a page whose rendering outlasts the step deadline', async () => {
    const ocr = new CountingOcr();
    const engine = new PdfJsOcrEngine(ocr, { stepTimeoutMs: 1 });
    const error = await refusal(engine, await receiptPdf([{ spec, kind: 'scan' }]));
    expect(error.message).toMatch(/took longer than 0\.001 s to (open|read|render)/);
    expect(ocr.seen).toHaveLength(0);
  });

  it('reports the deadline, not the cancellation the deadline causes', async () => {
    // pdf.js may reject a cancelled render synchronously; CI once saw "Rendering cancelled" win the race.
    const engine = new PdfJsOcrEngine(new CountingOcr(), { stepTimeoutMs: 1 });
    let cancel = (): void => undefined;
    const render = new Promise<never>((_, reject) => {
      cancel = () => reject(new Error('Rendering cancelled, page 1'));
    });
    const step = (engine as unknown as { step: (w: Promise<never>, what: string, a: () => void) => Promise<never> })
      .step;
    await expect(step.call(engine, render, 'render page 1', () => cancel())).rejects.toThrow(
      /^PDF took longer than 0\.001 s to render page 1$/,
    );
  });
});

describe('PdfJsOcrEngine in front of tesseract', () => {
  const tesseract = new TesseractOcrEngine();
  afterAll(() => tesseract.terminate());

  it('reads a scanned page (the synthetic receipt embedded as an image) back by OCR', async () => {
    const doc = await new PdfJsOcrEngine(tesseract).recognize(await receiptPdf([{ spec, kind: 'scan', rotate: 90 }]));
    const texts = doc.pages![0]!.lines.map((l) => l.text);
    expect(texts[0]).toBe(spec.merchant_name);
    expect(texts).toContain(`TOTAL ${spec.total.toFixed(2)}`);
  }, 120_000);
});
