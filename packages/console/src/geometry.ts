import type { Geometry, Point } from './api.js';

/** Where a receipt lies in its image (corners normalised 0..1, origin bottom-left), if recorded. */
export type Region = Pick<Geometry, 'top_left' | 'top_right' | 'bottom_left' | 'bottom_right'>;

/**
 * A point of the receipt's frame (normalised 0..1 over the receipt's region, origin bottom-left)
 * in the image's normalised frame: the region's bottom-left corner plus the point's share of
 * its two edges. Without a region (receipts stored before regions existed, docs/api.md) the
 * frames are the same.
 */
export function toImageFrame(p: Point, region: Region | undefined): Point {
  if (!region) return p;
  const o = region.bottom_left;
  const ex = { x: region.bottom_right.x - o.x, y: region.bottom_right.y - o.y };
  const ey = { x: region.top_left.x - o.x, y: region.top_left.y - o.y };
  return { x: o.x + p.x * ex.x + p.y * ey.x, y: o.y + p.x * ex.y + p.y * ey.y };
}

/** The corners of an element as SVG points in image pixels (origin top-left, y down). */
export function polygonPoints(g: Geometry, region: Region | undefined, width: number, height: number): string {
  return [g.top_left, g.top_right, g.bottom_right, g.bottom_left]
    .map((corner) => {
      const p = toImageFrame(corner, region);
      return `${round(p.x * width)},${round((1 - p.y) * height)}`;
    })
    .join(' ');
}

const round = (n: number) => Math.round(n * 100) / 100;
