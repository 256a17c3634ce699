import { z } from 'zod';
import { GeometrySchema } from './geometry.js';

const ElementBase = GeometrySchema.extend({
  text: z.string(),
  confidence: z.number().min(0).max(1),
});

export const OcrLetterSchema = ElementBase;
export const OcrWordSchema = ElementBase.extend({ letters: z.array(OcrLetterSchema) });
export const OcrLineSchema = ElementBase.extend({ words: z.array(OcrWordSchema) });

/**
 * The OCR document in Apple Vision's shape: lines → words → letters, coordinates normalised
 * to 0..1 with the origin at the bottom-left. Every engine (Vision, tesseract.js) emits this.
 */
export const OcrDocumentSchema = z.object({
  engine: z.string().min(1),
  image_width: z.number().int().positive(),
  image_height: z.number().int().positive(),
  lines: z.array(OcrLineSchema),
});

export type OcrLetter = z.infer<typeof OcrLetterSchema>;
export type OcrWord = z.infer<typeof OcrWordSchema>;
export type OcrLine = z.infer<typeof OcrLineSchema>;
export type OcrDocument = z.infer<typeof OcrDocumentSchema>;
