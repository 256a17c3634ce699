import { describe, expect, it } from 'vitest';
import { classifyImage } from '../src/index.js';
import { ocrDocument } from './helpers/ocr-document.js';

const TEXT = [
  'HARBOR LANE GROCERY',
  '1452 HARBOR LANE',
  'OAKLAND, CA 94607',
  '(510) 555-0142',
  'BANANAS 1.29',
  'TOTAL 1.29',
];

describe('classifyImage', () => {
  it('axis-aligned, confident text → NATIVE', () => {
    expect(classifyImage(ocrDocument(TEXT, { confidence: 0.98 })).image_type).toBe('NATIVE');
  });

  it('axis-aligned but low-confidence text → SCAN', () => {
    expect(classifyImage(ocrDocument(TEXT, { confidence: 0.7 })).image_type).toBe('SCAN');
  });

  it('rotated lines → PHOTO', () => {
    const result = classifyImage(ocrDocument(TEXT, { rotateDegrees: 6 }));
    expect(result.image_type).toBe('PHOTO');
    expect(result.reason).toMatch(/rotated/);
  });

  it('measures rotation from the corners even when the engine reports angle 0', () => {
    const doc = ocrDocument(TEXT, { rotateDegrees: 5 });
    for (const line of doc.lines) {
      line.angle_degrees = 0;
      line.angle_radians = 0;
    }
    expect(classifyImage(doc).image_type).toBe('PHOTO');
  });

  it('trapezoid lines (perspective) → PHOTO', () => {
    const result = classifyImage(ocrDocument(TEXT, { perspectiveDegrees: 3 }));
    expect(result.image_type).toBe('PHOTO');
    expect(result.reason).toMatch(/perspective/);
  });

  it('a slight skew below the photo threshold with good confidence is not NATIVE but SCAN', () => {
    expect(classifyImage(ocrDocument(TEXT, { rotateDegrees: 1.2 })).image_type).toBe('SCAN');
  });

  it('no text → SCAN with a reason', () => {
    const result = classifyImage(ocrDocument([]));
    expect(result).toEqual({ image_type: 'SCAN', reason: expect.stringMatching(/no text/) });
  });
});
