import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OcrDocumentSchema, ValidationError } from '@receiptflow/core';
import { heifContainer } from '@receiptflow/core/testing';
import { readHeicFixture } from '@receiptflow/adapters-local/synthetic';
import { VisionOcrEngine } from '../src/vision/vision-ocr-engine.js';
import { SAMPLE_PNG } from './support/sample-png.js';

const helper = (name: string) => fileURLToPath(new URL(`./fixtures/vision-helper/${name}.mjs`, import.meta.url));
const recorded = JSON.parse(
  readFileSync(new URL('./fixtures/vision-document.json', import.meta.url), 'utf8'),
) as unknown;
const image = SAMPLE_PNG;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  return (error as { code: string }).code;
}

describe('VisionOcrEngine', () => {
  it('returns the helper document, validated, with the image piped to its stdin', async () => {
    const engine = new VisionOcrEngine({ helperPath: helper('ok'), timeoutMs: 10_000 });
    const doc = await engine.recognize(image);
    expect(doc).toEqual(OcrDocumentSchema.parse(recorded));
    expect(engine.name).toBe('apple-vision');
    expect(doc.lines.map((l) => l.text)).toEqual(["TRADER JOE'S #123", 'TOTAL $12.47']);
    expect(doc.lines[0]?.words[1]?.letters.map((l) => l.text).join('')).toBe("JOE'S");
  });

  it('fails with VISION_HELPER_MISSING when the helper does not exist', async () => {
    const engine = new VisionOcrEngine({ helperPath: '/nonexistent/receipt-ocr-vision', timeoutMs: 5_000 });
    await expect(engine.recognize(image)).rejects.toThrow(/not found or not executable: \/nonexistent/);
    expect(await codeOf(engine.recognize(image))).toBe('VISION_HELPER_MISSING');
  });

  it('fails with VISION_HELPER_MISSING when the helper is not executable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vision-helper-'));
    const path = join(dir, 'receipt-ocr-vision');
    writeFileSync(path, '#!/bin/sh\necho {}\n', { mode: 0o644 });
    const engine = new VisionOcrEngine({ helperPath: path, timeoutMs: 5_000 });
    expect(await codeOf(engine.recognize(image))).toBe('VISION_HELPER_MISSING');
  });

  it('kills a helper that hangs and fails with VISION_HELPER_TIMEOUT (retryable)', async () => {
    const engine = new VisionOcrEngine({ helperPath: helper('hang'), timeoutMs: 300 });
    const error = (await engine.recognize(image).catch((e: unknown) => e)) as { code: string; retryable: boolean };
    expect(error.code).toBe('VISION_HELPER_TIMEOUT');
    expect(error.retryable).toBe(true);
  });

  it('fails with VISION_HELPER_FAILED naming the exit status and stderr', async () => {
    const engine = new VisionOcrEngine({ helperPath: helper('exit-nonzero'), timeoutMs: 10_000 });
    await expect(engine.recognize(image)).rejects.toThrow(/exited with status 70: VNRecognizeTextRequest failed/);
    expect(await codeOf(engine.recognize(image))).toBe('VISION_HELPER_FAILED');
  });

  it('fails with VISION_HELPER_INVALID_OUTPUT for output that is not JSON', async () => {
    const engine = new VisionOcrEngine({ helperPath: helper('invalid-json'), timeoutMs: 10_000 });
    await expect(engine.recognize(image)).rejects.toThrow(/not JSON/);
    expect(await codeOf(engine.recognize(image))).toBe('VISION_HELPER_INVALID_OUTPUT');
  });

  it('fails with VISION_HELPER_INVALID_OUTPUT naming the fields of a schema-invalid document', async () => {
    const engine = new VisionOcrEngine({ helperPath: helper('schema-invalid'), timeoutMs: 10_000 });
    await expect(engine.recognize(image)).rejects.toThrow(/image_width/);
    expect(await codeOf(engine.recognize(image))).toBe('VISION_HELPER_INVALID_OUTPUT');
  });

  it('maps the helper\'s "undecodable image" status to ValidationError, as the port promises', async () => {
    const engine = new VisionOcrEngine({ helperPath: helper('undecodable'), timeoutMs: 10_000 });
    await expect(engine.recognize(image)).rejects.toBeInstanceOf(ValidationError);
    await expect(engine.recognize(new Uint8Array())).rejects.toBeInstanceOf(ValidationError);
  });

  it('passes a HEIC to Vision untouched (ImageIO reads it natively) and refuses a HEIC bomb before Vision runs', async () => {
    const capture = join(mkdtempSync(join(tmpdir(), 'vision-capture-')), 'stdin.bin');
    const previous = process.env.VISION_HELPER_CAPTURE;
    process.env.VISION_HELPER_CAPTURE = capture;
    try {
      const engine = new VisionOcrEngine({ helperPath: helper('capture'), timeoutMs: 10_000 });
      const heic = readHeicFixture(6);
      await engine.recognize(heic);
      expect(Buffer.compare(readFileSync(capture), Buffer.from(heic))).toBe(0);

      writeFileSync(capture, 'untouched');
      const bomb = heifContainer({ width: 100_000, height: 100_000 });
      await expect(engine.recognize(bomb)).rejects.toThrow(/100000x100000 .* above the 50 MP limit/);
      await expect(engine.recognize(bomb)).rejects.toBeInstanceOf(ValidationError);
      expect(readFileSync(capture, 'utf8')).toBe('untouched');
    } finally {
      if (previous === undefined) delete process.env.VISION_HELPER_CAPTURE;
      else process.env.VISION_HELPER_CAPTURE = previous;
    }
  });
});
