import type { Geometry, OcrDocument, OcrLine, OcrWord } from '../../src/index.js';

export interface DocOptions {
  /** Rotation of every line, degrees (counter-clockwise). */
  rotateDegrees?: number;
  /** Makes each line a trapezoid: the bottom edge is tilted this many degrees against the top. */
  perspectiveDegrees?: number;
  confidence?: number;
  width?: number;
  height?: number;
}

function rotated(cx: number, cy: number, dx: number, dy: number, rad: number, aspect: number) {
  // Rotate in pixel-like space (x scaled by aspect) so angles are measured as the classifier does.
  const x = dx * aspect;
  const rx = x * Math.cos(rad) - dy * Math.sin(rad);
  const ry = x * Math.sin(rad) + dy * Math.cos(rad);
  return { x: cx + rx / aspect, y: cy + ry };
}

function geometry(
  x: number,
  y: number,
  w: number,
  h: number,
  deg: number,
  perspective: number,
  aspect: number,
): Geometry {
  const rad = (deg * Math.PI) / 180;
  const cx = x + w / 2;
  const cy = y + h / 2;
  const tl = rotated(cx, cy, -w / 2, h / 2, rad, aspect);
  const tr = rotated(cx, cy, w / 2, h / 2, rad, aspect);
  const bl = rotated(cx, cy, -w / 2, -h / 2, rad, aspect);
  const brBase = rotated(cx, cy, w / 2, -h / 2, rad, aspect);
  const br = { x: brBase.x, y: brBase.y + Math.tan((perspective * Math.PI) / 180) * w * aspect };
  return {
    bounding_box: { x, y, width: w, height: h },
    top_left: tl,
    top_right: tr,
    bottom_left: bl,
    bottom_right: br,
    angle_degrees: deg,
    angle_radians: rad,
  };
}

/** An OCR document with one line per text, top to bottom, words split on spaces. */
export function ocrDocument(texts: readonly string[], options: DocOptions = {}): OcrDocument {
  const width = options.width ?? 1000;
  const height = options.height ?? 1000;
  const aspect = width / height;
  const conf = options.confidence ?? 0.98;
  const lineHeight = 0.9 / Math.max(texts.length, 1);
  const lines: OcrLine[] = texts.map((text, i) => {
    const y = 0.95 - (i + 1) * lineHeight;
    const tokens = text.split(' ').filter((t) => t.length > 0);
    const words: OcrWord[] = tokens.map((t, j) => ({
      text: t,
      confidence: conf,
      letters: [],
      ...geometry(0.05 + j * 0.12, y, 0.1, lineHeight * 0.7, options.rotateDegrees ?? 0, 0, aspect),
    }));
    return {
      text,
      confidence: conf,
      words,
      ...geometry(0.05, y, 0.8, lineHeight * 0.7, options.rotateDegrees ?? 0, options.perspectiveDegrees ?? 0, aspect),
    };
  });
  return { engine: 'test', image_width: width, image_height: height, lines };
}
