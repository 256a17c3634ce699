import * as z from 'zod';
import { schema } from '../schema.js';

/** Normalised 0..1 coordinates, origin bottom-left (Apple Vision's convention). */
export const PointSchema = /* @__PURE__ */ schema(() => z.object({ x: z.number().finite(), y: z.number().finite() }));
export type Point = z.infer<typeof PointSchema>;

export const BoundingBoxSchema = /* @__PURE__ */ schema(() =>
  z.object({
    x: z.number().finite(),
    y: z.number().finite(),
    width: z.number().finite().nonnegative(),
    height: z.number().finite().nonnegative(),
  }),
);
export type BoundingBox = z.infer<typeof BoundingBoxSchema>;

/** The geometry every OCR element and receipt line/word carries. */
export const GeometrySchema = /* @__PURE__ */ schema(() =>
  z.object({
    bounding_box: BoundingBoxSchema,
    top_left: PointSchema,
    top_right: PointSchema,
    bottom_left: PointSchema,
    bottom_right: PointSchema,
    angle_degrees: z.number().finite(),
    angle_radians: z.number().finite(),
  }),
);
export type Geometry = z.infer<typeof GeometrySchema>;

/** Geometry of an axis-aligned box given in normalised, bottom-left-origin coordinates. */
export function axisAlignedGeometry(box: BoundingBox): Geometry {
  const { x, y, width, height } = box;
  return {
    bounding_box: { x, y, width, height },
    top_left: { x, y: y + height },
    top_right: { x: x + width, y: y + height },
    bottom_left: { x, y },
    bottom_right: { x: x + width, y },
    angle_degrees: 0,
    angle_radians: 0,
  };
}
