import * as z from 'zod';
import { schema } from '../schema.js';
import { GeometrySchema } from './geometry.js';

const ElementBase = /* @__PURE__ */ schema(() =>
  GeometrySchema.extend({
    text: z.string(),
    confidence: z.number().min(0).max(1),
  }),
);

export const OcrLetterSchema = ElementBase;
export const OcrWordSchema = /* @__PURE__ */ schema(() => ElementBase.extend({ letters: z.array(OcrLetterSchema) }));
export const OcrLineSchema = /* @__PURE__ */ schema(() => ElementBase.extend({ words: z.array(OcrWordSchema) }));

/** How a page's text was read: its PDF text layer (exact, no OCR) or OCR of the rendered page. */
export const PageTextSourceSchema = /* @__PURE__ */ schema(() => z.enum(['text_layer', 'ocr']));
export type PageTextSource = z.infer<typeof PageTextSourceSchema>;

/**
 * One page of a paged document (a PDF): its own size and lines, in the UPRIGHT page (its
 * `/Rotate` already applied), normalised 0..1 with the origin at the bottom-left like every OCR
 * geometry. `image_width`/`image_height` are the upright page in points for a text layer, in
 * rendered pixels for an OCR'd page; normalised geometry makes either fit the upright page.
 */
export const OcrPageSchema = /* @__PURE__ */ schema(() =>
  z.object({
    /** 1-based page number; the receipt_id of the receipt the page becomes. */
    page: z.number().int().min(1),
    image_width: z.number().int().positive(),
    image_height: z.number().int().positive(),
    /** The page's /Rotate (clockwise degrees), applied to the geometry already. */
    rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]),
    text_source: PageTextSourceSchema,
    /** What read the page's text: `pdf.js` for a text layer, the OCR engine's name otherwise. */
    engine: z.string().min(1),
    lines: z.array(OcrLineSchema),
  }),
);

/**
 * The OCR document in Apple Vision's shape: lines → words → letters, coordinates normalised
 * to 0..1 with the origin at the bottom-left. Every engine (Vision, tesseract.js) emits this.
 *
 * A PDF gives a paged document: `pages` holds each page (one receipt each, receipt_id = page
 * number), `lines` is empty and `image_width`/`image_height` are the first page's.
 */
export const OcrDocumentSchema = /* @__PURE__ */ schema(() =>
  z.object({
    engine: z.string().min(1),
    image_width: z.number().int().positive(),
    image_height: z.number().int().positive(),
    lines: z.array(OcrLineSchema),
    pages: z.array(OcrPageSchema).optional(),
  }),
);

export type OcrLetter = z.infer<typeof OcrLetterSchema>;
export type OcrWord = z.infer<typeof OcrWordSchema>;
export type OcrLine = z.infer<typeof OcrLineSchema>;
export type OcrDocument = z.infer<typeof OcrDocumentSchema>;
export type OcrPage = z.infer<typeof OcrPageSchema>;
