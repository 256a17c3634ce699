import type { Geometry, Point, ReceiptRegion } from '../domain/index.js';
import {
  boxCorners,
  dominantAngle,
  enclosingBox,
  geometryFromCorners,
  median,
  orientedBox,
  rotatePoint,
  type OrientedBox,
  type PixelSize,
} from './oriented-box.js';

/** Text heights of paper assumed around a receipt's text when cropping it. */
export const REGION_PADDING_HEIGHTS = 1;

/**
 * A receipt's own frame: its region of the image, cropped and turned upright. `identity` marks
 * the frame that IS the image (a NATIVE image holding one receipt), where geometry is kept
 * exactly as the engine reported it.
 */
export interface ReceiptFrame {
  image: PixelSize;
  /** The region's box in image pixels; its angle is how far the receipt is turned. */
  box: OrientedBox;
  identity: boolean;
}

/** The whole image as the receipt's frame. */
export function imageFrame(image: PixelSize): ReceiptFrame {
  return {
    image,
    box: { cx: image.width / 2, cy: image.height / 2, width: image.width, height: image.height, angle: 0 },
    identity: true,
  };
}

/**
 * The receipt's region from its text: the rectangle turned to the text's dominant angle that
 * holds every given box, padded by {@link REGION_PADDING_HEIGHTS} text heights of paper.
 *
 * @example
 * const frame = uprightFrame(words.map((w) => orientedBox(w, size)), size);
 * toReceiptFrame(word, frame); // the word, upright, normalised to the receipt
 */
export function uprightFrame(boxes: readonly OrientedBox[], image: PixelSize): ReceiptFrame {
  if (boxes.length === 0) return imageFrame(image);
  const angle = dominantAngle(boxes);
  const tight = enclosingBox(boxes, angle);
  const pad = REGION_PADDING_HEIGHTS * median(boxes.map((b) => b.height));
  return { image, box: { ...tight, width: tight.width + 2 * pad, height: tight.height + 2 * pad }, identity: false };
}

/** The frame's region as stored on the receipt: corners in the image's normalised frame. */
export function frameRegion(frame: ReceiptFrame): ReceiptRegion {
  const c = boxCorners(frame.box);
  const norm = (p: Point): Point => ({ x: p.x / frame.image.width, y: p.y / frame.image.height });
  const geometry = geometryFromCorners(
    {
      top_left: norm(c.top_left),
      top_right: norm(c.top_right),
      bottom_left: norm(c.bottom_left),
      bottom_right: norm(c.bottom_right),
    },
    frame.box.angle,
  );
  return { ...geometry, width: frame.box.width, height: frame.box.height };
}

/**
 * An element's geometry (image frame) moved into the receipt's frame: upright, normalised 0..1
 * over the region, origin at the region's bottom-left. Its angle becomes what is left after
 * the receipt's own turn (about 0 for text printed straight on the paper).
 */
export function toReceiptFrame(g: Geometry, frame: ReceiptFrame): Geometry {
  if (frame.identity) return copyGeometry(g);
  const box = orientedBox(g, frame.image);
  const corners = boxCorners(box);
  const { box: region } = frame;
  const map = (p: Point): Point => {
    // Relative to the region's centre, turned upright, then measured from its bottom-left.
    const q = rotatePoint({ x: p.x - region.cx, y: p.y - region.cy }, -region.angle);
    return { x: (q.x + region.width / 2) / region.width, y: (q.y + region.height / 2) / region.height };
  };
  return geometryFromCorners(
    {
      top_left: map(corners.top_left),
      top_right: map(corners.top_right),
      bottom_left: map(corners.bottom_left),
      bottom_right: map(corners.bottom_right),
    },
    box.angle - region.angle,
  );
}

/** A point of the receipt's frame back in the image's normalised frame. */
export function fromReceiptFrame(p: Point, frame: ReceiptFrame): Point {
  const { box: region } = frame;
  const local = { x: p.x * region.width - region.width / 2, y: p.y * region.height - region.height / 2 };
  const r = rotatePoint(local, region.angle);
  return { x: (r.x + region.cx) / frame.image.width, y: (r.y + region.cy) / frame.image.height };
}

function copyGeometry(g: Geometry): Geometry {
  const { bounding_box, top_left, top_right, bottom_left, bottom_right, angle_degrees, angle_radians } = g;
  return { bounding_box, top_left, top_right, bottom_left, bottom_right, angle_degrees, angle_radians };
}
