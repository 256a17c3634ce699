import type { OcrDocument, OcrLine, OcrPage } from './ocr-document.js';
import type { ImageType } from './routing.js';

export interface ImageClassification {
  image_type: ImageType;
  /** Human-readable, with the measurements that decided. */
  reason: string;
}

/** Median |skew| above this, in degrees, means a hand-held camera. */
export const PHOTO_SKEW_DEGREES = 2;
/** Lines disagreeing on their angle by more than this (degrees) means perspective or a curled page. */
export const PHOTO_ANGLE_SPREAD_DEGREES = 3;
/** Top and bottom edges of a line differing by more than this (degrees) means perspective. */
export const PERSPECTIVE_EDGE_DEGREES = 1.5;
/** Share of lines with perspective-distorted boxes above which the image is a photo. */
export const PERSPECTIVE_LINE_SHARE = 0.3;
/** Every line within this many degrees of horizontal, for a rendered (native) image. */
export const NATIVE_MAX_SKEW_DEGREES = 0.5;
/** Mean OCR confidence at or above this, for a rendered image. */
export const NATIVE_MIN_MEAN_CONFIDENCE = 0.9;
/** No line below this confidence, for a rendered image. */
export const NATIVE_MIN_LINE_CONFIDENCE = 0.75;

/**
 * Guesses how the image was made, from the OCR geometry alone (pure, no pixels):
 *
 * 1. PHOTO when the text is not axis-aligned the way a camera leaves it: median line skew above
 *    {@link PHOTO_SKEW_DEGREES}, or line angles spread over more than
 *    {@link PHOTO_ANGLE_SPREAD_DEGREES} (perspective, curled paper), or more than
 *    {@link PERSPECTIVE_LINE_SHARE} of lines whose top and bottom edges are not parallel
 *    (a trapezoid is what perspective does to a rectangle).
 * 2. NATIVE when every line is within {@link NATIVE_MAX_SKEW_DEGREES} of horizontal and OCR is
 *    confident throughout (mean ≥ {@link NATIVE_MIN_MEAN_CONFIDENCE}, every line ≥
 *    {@link NATIVE_MIN_LINE_CONFIDENCE}): rendered text, screenshots, PDFs.
 * 3. SCAN otherwise: flat and nearly straight but noisier (flatbed scans, faxes), and also for
 *    an image without text, since nothing suggests a camera.
 *
 * Angles are measured in pixel space (normalised coordinates scaled by the image size), from the
 * corner points, so engines that leave `angle_degrees` at 0 are still measured.
 */
export function classifyImage(doc: OcrDocument): ImageClassification {
  if (doc.pages !== undefined) return classifyPages(doc.pages);
  const lines = doc.lines.filter((l) => l.text.trim() !== '');
  if (lines.length === 0) return { image_type: 'SCAN', reason: 'no text found; nothing suggests a camera' };

  const angles = lines.map((l) => lineAngle(l, doc));
  const skews = angles.map((a) => Math.abs(a));
  const medianSkew = median(skews);
  const spread = lines.length >= 3 ? percentile(angles, 0.9) - percentile(angles, 0.1) : 0;
  const trapezoids = lines.filter((l) => edgeDisagreement(l, doc) > PERSPECTIVE_EDGE_DEGREES).length;
  const trapezoidShare = trapezoids / lines.length;
  const confidences = lines.map((l) => l.confidence);
  const meanConfidence = confidences.reduce((a, b) => a + b, 0) / confidences.length;
  const minConfidence = Math.min(...confidences);
  const measured = `median skew ${medianSkew.toFixed(2)}°, angle spread ${spread.toFixed(2)}°, ${trapezoids}/${lines.length} perspective lines, mean confidence ${meanConfidence.toFixed(2)}`;

  if (medianSkew > PHOTO_SKEW_DEGREES) return { image_type: 'PHOTO', reason: `rotated text (${measured})` };
  if (spread > PHOTO_ANGLE_SPREAD_DEGREES)
    return { image_type: 'PHOTO', reason: `lines at different angles (${measured})` };
  if (trapezoidShare > PERSPECTIVE_LINE_SHARE)
    return { image_type: 'PHOTO', reason: `perspective distortion (${measured})` };
  if (
    Math.max(...skews) <= NATIVE_MAX_SKEW_DEGREES &&
    meanConfidence >= NATIVE_MIN_MEAN_CONFIDENCE &&
    minConfidence >= NATIVE_MIN_LINE_CONFIDENCE
  ) {
    return { image_type: 'NATIVE', reason: `axis-aligned, confident text (${measured})` };
  }
  return { image_type: 'SCAN', reason: `flat but noisy text (${measured})` };
}

/**
 * A paged document (PDF) is typed by how its text was read, not guessed from geometry: NATIVE
 * when every page's text came from its text layer (exact, no OCR), SCAN as soon as one page had
 * to be rendered and OCR'd (a scanned PDF), since its text is only as good as that OCR.
 */
function classifyPages(pages: readonly OcrPage[]): ImageClassification {
  const ocrd = pages.filter((p) => p.text_source === 'ocr').map((p) => p.page);
  const count = `${pages.length} PDF page${pages.length === 1 ? '' : 's'}`;
  if (ocrd.length === 0) return { image_type: 'NATIVE', reason: `${count}, every one read from its text layer` };
  return {
    image_type: 'SCAN',
    reason: `${count}; without a text layer, rendered and OCR'd: page ${ocrd.join(', ')}`,
  };
}

const MIN_MEASURABLE_WIDTH_PX = 20;

function degrees(dx: number, dy: number): number {
  return (Math.atan2(dy, dx) * 180) / Math.PI;
}

/** Angle of a line in degrees: its top edge, or the reported angle when larger (rotated boxes). */
function lineAngle(line: OcrLine, doc: OcrDocument): number {
  const top = edgeAngle(line.top_left, line.top_right, doc);
  const bottom = edgeAngle(line.bottom_left, line.bottom_right, doc);
  const measured = (top + bottom) / 2;
  return Math.abs(line.angle_degrees) > Math.abs(measured) ? line.angle_degrees : measured;
}

function edgeAngle(from: { x: number; y: number }, to: { x: number; y: number }, doc: OcrDocument): number {
  const dx = (to.x - from.x) * doc.image_width;
  const dy = (to.y - from.y) * doc.image_height;
  if (dx === 0 && dy === 0) return 0;
  return degrees(dx, dy);
}

function edgeDisagreement(line: OcrLine, doc: OcrDocument): number {
  // A box a few pixels wide has no meaningful edge angle.
  if ((line.top_right.x - line.top_left.x) * doc.image_width < MIN_MEASURABLE_WIDTH_PX) return 0;
  const top = edgeAngle(line.top_left, line.top_right, doc);
  const bottom = edgeAngle(line.bottom_left, line.bottom_right, doc);
  return Math.abs(top - bottom);
}

function median(values: number[]): number {
  return percentile(values, 0.5);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? a;
  return a + (b - a) * (at - lo);
}
