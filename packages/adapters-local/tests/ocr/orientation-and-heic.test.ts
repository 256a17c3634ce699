import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectImage, processOcrResults, runOcrJob, submitJob } from '@receiptflow/core';
import { TesseractOcrEngine } from '../../src/ocr/index.js';
import {
  EXIF_ORIENTATIONS,
  HEIC_FIXTURE_RECEIPT,
  drawReceipt,
  readHeicFixture,
  renderReceipt,
  storedForOrientation,
  withExifOrientation,
} from '../../src/synthetic/index.js';
import { pipeline } from '../../../core/tests/use-cases/harness.js';

/**
 * Issue 19, orientation and HEIC: a photo stored turned (EXIF orientation in a JPEG, irot/imir in
 * a HEIC) resolves like its upright twin, through real tesseract and the real pipeline: the same
 * merchant, the same lines, and the geometry in the upright frame (boxes where the upright PNG's
 * are). The HEIC fixtures are committed, made by scripts/make-heic-fixtures.ts with heif-enc.
 */
const receipt = HEIC_FIXTURE_RECEIPT;

interface Resolved {
  place_id: string | null;
  lines: { text: string; bounding_box: { x: number; y: number; width: number; height: number } }[];
}

describe('orientation and HEIC through tesseract and the pipeline', () => {
  const engine = new TesseractOcrEngine();
  afterAll(() => engine.terminate());

  async function resolve(filename: string, bytes: Uint8Array): Promise<Resolved> {
    const p = pipeline();
    const { contentType } = inspectImage(bytes);
    const submitted = await submitJob(p.submitDeps, { filename, contentType, body: bytes });
    const ocr = await runOcrJob(
      { ...p.ocrDeps, ocr: engine },
      { job_id: submitted.job_id, image_id: submitted.image_id },
    );
    if (ocr.status !== 'completed') throw new Error(`${filename}: OCR job ${ocr.status}`);
    const [message] = await p.resultsQueue.receive({ maxMessages: 1 });
    const processed = await processOcrResults(p.processDeps, message!.body);
    const [stored] = await p.receipts.list(submitted.image_id);
    return { place_id: processed.receipts[0]?.place.place_id ?? null, lines: stored?.lines ?? [] };
  }

  let upright: Resolved;
  beforeAll(async () => {
    upright = await resolve('upright.png', (await renderReceipt(receipt.spec)).png);
  }, 120_000);

  function expectLikeUpright(name: string, got: Resolved): void {
    expect(upright.place_id, 'the upright twin resolves').toBe(receipt.truth.place_id);
    expect(got.place_id, `${name}: merchant`).toBe(receipt.truth.place_id);
    expect(
      got.lines.map((l) => l.text),
      `${name}: lines`,
    ).toEqual(upright.lines.map((l) => l.text));
    got.lines.forEach((line, i) => {
      const twin = upright.lines[i]!.bounding_box;
      // Normalised coordinates: 0.01 is about 6 px on this 640 px receipt.
      for (const k of ['x', 'y', 'width', 'height'] as const) {
        expect(Math.abs(line.bounding_box[k] - twin[k]), `${name}: line ${i} ${k}`).toBeLessThan(0.01);
      }
    });
  }

  it('a JPEG carrying each EXIF orientation 1..8 resolves like the upright PNG, geometry upright', async () => {
    const canvas = drawReceipt(receipt.spec);
    for (const o of EXIF_ORIENTATIONS) {
      const stored = storedForOrientation(canvas, o);
      const jpeg = withExifOrientation(new Uint8Array(stored.toBuffer('image/jpeg', 92)), o);
      expectLikeUpright(`JPEG orientation ${o}`, await resolve(`o${o}.jpg`, jpeg));
    }
  }, 600_000);

  it('a HEIC carrying each orientation 1..8 (irot/imir) resolves like its PNG twin, geometry upright', async () => {
    const { width, height } = drawReceipt(receipt.spec);
    for (const o of EXIF_ORIENTATIONS) {
      const heic = readHeicFixture(o);
      expect(inspectImage(heic), `HEIC orientation ${o}: the upright size, from the container`).toEqual({
        contentType: 'image/heic',
        width,
        height,
      });
      expectLikeUpright(`HEIC orientation ${o}`, await resolve(`IMG_000${o}.HEIC`, heic));
    }
  }, 600_000);
});
