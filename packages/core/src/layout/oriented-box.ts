import type { Geometry, Point } from '../domain/index.js';

/** An image's size in pixels. */
export interface PixelSize {
  width: number;
  height: number;
}

/**
 * A rectangle in image pixels (origin bottom-left, y up), turned `angle` radians counter-clockwise
 * about its centre. Layout works in pixels because normalised coordinates stretch differently
 * along x and y, which bends angles and distances.
 */
export interface OrientedBox {
  cx: number;
  cy: number;
  width: number;
  height: number;
  angle: number;
}

export interface Corners {
  top_left: Point;
  top_right: Point;
  bottom_left: Point;
  bottom_right: Point;
}

/** Corners closer than this (pixels) count as lying on one axis-aligned edge. */
const AXIS_EPSILON_PX = 0.5;
/** Below this angle (radians, ~0.2°) an axis-aligned box is taken as it is. */
const NEGLIGIBLE_ANGLE = 0.0035;
/** Above this angle (radians, ~40°) an envelope cannot be inverted reliably. */
const INVERTIBLE_ANGLE = 0.7;

/** `p` turned `angle` radians counter-clockwise about the origin. */
export function rotatePoint(p: Point, angle: number): Point {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return { x: p.x * c - p.y * s, y: p.x * s + p.y * c };
}

/** Normalised image point → pixels. */
export function toPixels(p: Point, size: PixelSize): Point {
  return { x: p.x * size.width, y: p.y * size.height };
}

/**
 * The element's true box in pixels, whichever way the engine reported it:
 *
 * - corners that already form a turned rectangle (Apple Vision) are used as they are;
 * - axis-aligned corners with a non-zero angle (tesseract reports the axis-aligned ENVELOPE of
 *   tilted text plus its baseline angle) are inverted: an envelope W×H of a w×h box turned θ has
 *   W = w·cosθ + h·sinθ and H = w·sinθ + h·cosθ, solved for w and h. Without this, a line tilted
 *   3° would look twice as tall as it is and overlap its neighbours.
 *
 * @example
 * const box = orientedBox(line, { width: doc.image_width, height: doc.image_height });
 */
export function orientedBox(g: Geometry, size: PixelSize): OrientedBox {
  const tl = toPixels(g.top_left, size);
  const tr = toPixels(g.top_right, size);
  const bl = toPixels(g.bottom_left, size);
  const br = toPixels(g.bottom_right, size);
  const cx = (tl.x + tr.x + bl.x + br.x) / 4;
  const cy = (tl.y + tr.y + bl.y + br.y) / 4;
  const axisAligned =
    Math.abs(tl.y - tr.y) < AXIS_EPSILON_PX &&
    Math.abs(bl.y - br.y) < AXIS_EPSILON_PX &&
    Math.abs(tl.x - bl.x) < AXIS_EPSILON_PX &&
    Math.abs(tr.x - br.x) < AXIS_EPSILON_PX;
  const theta = Number.isFinite(g.angle_radians) ? g.angle_radians : 0;

  if (axisAligned) {
    const W = Math.abs(tr.x - tl.x);
    const H = Math.abs(tl.y - bl.y);
    const magnitude = Math.abs(theta);
    if (magnitude > NEGLIGIBLE_ANGLE && magnitude < INVERTIBLE_ANGLE) {
      const c = Math.cos(magnitude);
      const s = Math.sin(magnitude);
      const d = c * c - s * s;
      const w = (W * c - H * s) / d;
      const h = (H * c - W * s) / d;
      if (w > 0 && h > 0) return { cx, cy, width: w, height: h, angle: theta };
    }
    // No angle, or an envelope too tight for the angle claimed: keep the box as reported.
    return { cx, cy, width: W, height: H, angle: 0 };
  }
  const width = (Math.hypot(tr.x - tl.x, tr.y - tl.y) + Math.hypot(br.x - bl.x, br.y - bl.y)) / 2;
  const height = (Math.hypot(tl.x - bl.x, tl.y - bl.y) + Math.hypot(tr.x - br.x, tr.y - br.y)) / 2;
  const angle = Math.atan2(tr.y - tl.y + (br.y - bl.y), tr.x - tl.x + (br.x - bl.x));
  return { cx, cy, width, height, angle };
}

/** The four corners of a box, in the same (pixel) space as the box. */
export function boxCorners(b: OrientedBox): Corners {
  const at = (dx: number, dy: number): Point => {
    const r = rotatePoint({ x: dx, y: dy }, b.angle);
    return { x: b.cx + r.x, y: b.cy + r.y };
  };
  const w = b.width / 2;
  const h = b.height / 2;
  return { top_left: at(-w, h), top_right: at(w, h), bottom_left: at(-w, -h), bottom_right: at(w, -h) };
}

/** The smallest box turned `angle` that holds every given box. */
export function enclosingBox(boxes: readonly OrientedBox[], angle: number): OrientedBox {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const b of boxes) {
    for (const p of Object.values(boxCorners(b))) {
      const q = rotatePoint(p, -angle);
      x0 = Math.min(x0, q.x);
      x1 = Math.max(x1, q.x);
      y0 = Math.min(y0, q.y);
      y1 = Math.max(y1, q.y);
    }
  }
  const centre = rotatePoint({ x: (x0 + x1) / 2, y: (y0 + y1) / 2 }, angle);
  return { cx: centre.x, cy: centre.y, width: x1 - x0, height: y1 - y0, angle };
}

/** A box back in the domain's geometry: normalised by `size`, origin bottom-left. */
export function boxGeometry(b: OrientedBox, size: PixelSize): Geometry {
  const c = boxCorners(b);
  const norm = (p: Point): Point => ({ x: p.x / size.width, y: p.y / size.height });
  return geometryFromCorners(
    {
      top_left: norm(c.top_left),
      top_right: norm(c.top_right),
      bottom_left: norm(c.bottom_left),
      bottom_right: norm(c.bottom_right),
    },
    b.angle,
  );
}

/** Geometry from four corners and an angle: the bounding box is the corners' envelope. */
export function geometryFromCorners(c: Corners, angleRadians: number): Geometry {
  const xs = [c.top_left.x, c.top_right.x, c.bottom_left.x, c.bottom_right.x];
  const ys = [c.top_left.y, c.top_right.y, c.bottom_left.y, c.bottom_right.y];
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return {
    bounding_box: { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y },
    ...c,
    angle_degrees: (angleRadians * 180) / Math.PI,
    angle_radians: angleRadians,
  };
}

/** The median of some numbers (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The dominant text angle of some boxes: the median angle of those at least twice as wide as
 * tall (single characters and punctuation have unreliable angles), else of all of them.
 */
export function dominantAngle(boxes: readonly OrientedBox[]): number {
  const wide = boxes.filter((b) => b.width >= 2 * b.height);
  return median((wide.length > 0 ? wide : boxes).map((b) => b.angle));
}
