import * as z from 'zod';
import { schema } from '../schema.js';
import {
  GeometrySchema,
  MAX_TEXT_CHARS,
  OcrWordSchema,
  type Geometry,
  type ImageType,
  type ReceiptDetails,
  type ReceiptLine,
  type ReceiptWord,
} from '../domain/index.js';
import { partGeometry, planReceipts, type ReceiptPlan } from './plan-receipts.js';
import { frameRegion, imageFrame, toReceiptFrame } from './receipt-frame.js';
import { PoisonMessageError } from '../errors.js';

/** A row that could not be used, reported instead of failing the receipt (docs/lessons.md#lesson-10-one-bad-record-failed-a-whole-run). */
export interface SkippedRow {
  what: string;
  reason: string;
}

const LooseDocumentSchema = /* @__PURE__ */ schema(() =>
  z.object({
    engine: z.string().min(1),
    image_width: z.number().int().positive(),
    image_height: z.number().int().positive(),
    lines: z.array(z.unknown()),
    pages: z.array(z.unknown()).optional(),
  }),
);

const LoosePageSchema = /* @__PURE__ */ schema(() =>
  z.object({
    page: z.number().int().min(1),
    image_width: z.number().int().positive(),
    image_height: z.number().int().positive(),
    lines: z.array(z.unknown()),
  }),
);

const LooseLineSchema = /* @__PURE__ */ schema(() =>
  GeometrySchema.extend({
    text: z.string(),
    confidence: z.number().min(0).max(1),
    words: z.array(z.unknown()).default([]),
  }),
);

/** Text with nothing printable in it, or with control characters / U+FFFD from a broken decode. */
export function isGarbageText(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === '') return true;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\ufffd]/u.test(trimmed)) return true;
  return !/[\p{L}\p{N}\p{P}\p{S}]/u.test(trimmed);
}

function geometryOf(g: Geometry): Geometry {
  const { bounding_box, top_left, top_right, bottom_left, bottom_right, angle_degrees, angle_radians } = g;
  return { bounding_box, top_left, top_right, bottom_left, bottom_right, angle_degrees, angle_radians };
}

interface KeptWord {
  text: string;
  confidence: number;
  geometry: Geometry;
}

interface KeptLine {
  text: string;
  confidence: number;
  geometry: Geometry;
  words: KeptWord[];
}

/** The usable lines of an OCR document, and the image size they are measured against. */
export interface UsableText {
  image: { width: number; height: number };
  lines: KeptLine[];
}

const top = (g: Geometry) => Math.max(g.top_left.y, g.top_right.y);
const bottom = (g: Geometry) => Math.min(g.bottom_left.y, g.bottom_right.y);

/**
 * Reading order, origin bottom-left: top to bottom, and left to right for boxes on the same row
 * (vertically overlapping by at least half the shorter height).
 */
function readingOrder(a: Geometry, b: Geometry): number {
  const overlap = Math.min(top(a), top(b)) - Math.max(bottom(a), bottom(b));
  const shorter = Math.min(top(a) - bottom(a), top(b) - bottom(b));
  if (shorter > 0 && overlap >= shorter / 2) return a.bounding_box.x - b.bounding_box.x;
  return top(b) - top(a) || a.bounding_box.x - b.bounding_box.x;
}

/**
 * The usable text of an OCR document: lines and words that pass validation and hold printable
 * text, words left to right. What is dropped is reported in `skipped` (docs/lessons.md#lesson-10-one-bad-record-failed-a-whole-run). Throws
 * PoisonMessageError when the document itself is not an OCR document.
 */
export function usableText(raw: unknown, skipped: SkippedRow[]): UsableText {
  const doc = parseDocument(raw);
  return usableLines(doc.lines, { width: doc.image_width, height: doc.image_height }, skipped, '');
}

function parseDocument(raw: unknown): z.infer<typeof LooseDocumentSchema> {
  const doc = LooseDocumentSchema.safeParse(raw);
  if (!doc.success) {
    const issues = doc.error.issues.map((i) => `${i.path.map(String).join('.') || '(document)'}: ${i.message}`);
    throw new PoisonMessageError(`OCR document is malformed: ${issues.slice(0, 5).join('; ')}`);
  }
  return doc.data;
}

/** A page of a paged document (PDF) with its usable text; a malformed page is skipped and reported. */
interface UsablePage {
  page: number;
  text: UsableText;
}

/** The usable text of each page of a paged document, or null when the document is not paged. */
function usablePages(raw: unknown, skipped: SkippedRow[]): UsablePage[] | null {
  const doc = parseDocument(raw);
  if (doc.pages === undefined) return null;
  const pages: UsablePage[] = [];
  doc.pages.forEach((rawPage, pi) => {
    const page = LoosePageSchema.safeParse(rawPage);
    if (!page.success) {
      skipped.push({ what: `ocr page ${pi + 1}`, reason: page.error.issues[0]?.message ?? 'invalid page' });
      return;
    }
    const size = { width: page.data.image_width, height: page.data.image_height };
    pages.push({ page: page.data.page, text: usableLines(page.data.lines, size, skipped, `page ${page.data.page} `) });
  });
  return pages;
}

function usableLines(
  rawLines: readonly unknown[],
  image: UsableText['image'],
  skipped: SkippedRow[],
  where: string,
): UsableText {
  const kept: KeptLine[] = [];
  rawLines.forEach((rawLine, li) => {
    const line = LooseLineSchema.safeParse(rawLine);
    if (!line.success) {
      skipped.push({ what: `ocr ${where}line ${li}`, reason: line.error.issues[0]?.message ?? 'invalid line' });
      return;
    }
    const words: KeptWord[] = [];
    line.data.words.forEach((rawWord, wi) => {
      const word = OcrWordSchema.safeParse(rawWord);
      if (!word.success) {
        skipped.push({
          what: `ocr ${where}line ${li} word ${wi}`,
          reason: word.error.issues[0]?.message ?? 'invalid word',
        });
      } else if (isGarbageText(word.data.text)) {
        skipped.push({
          what: `ocr ${where}line ${li} word ${wi}`,
          reason: `no usable text (${JSON.stringify(word.data.text)})`,
        });
      } else {
        words.push({ text: word.data.text.trim(), confidence: word.data.confidence, geometry: geometryOf(word.data) });
      }
    });
    words.sort((a, b) => a.geometry.bounding_box.x - b.geometry.bounding_box.x);
    // Line text from its kept words, so line and words always agree; the OCR text when wordless.
    const text = words.length > 0 ? words.map((w) => w.text).join(' ') : line.data.text.trim();
    if (isGarbageText(text)) {
      skipped.push({ what: `ocr ${where}line ${li}`, reason: `no usable text (${JSON.stringify(line.data.text)})` });
      return;
    }
    kept.push({ text, confidence: line.data.confidence, geometry: geometryOf(line.data), words });
  });
  return { image, lines: kept };
}

/**
 * A page IS its receipt: its frame is the upright page itself (geometry kept as the page
 * reader gave it) and all its lines are the receipt's, whatever the layout would cluster.
 */
function pagePlan(text: UsableText): ReceiptPlan {
  return { frame: imageFrame(text.image), parts: text.lines.map((_, line) => ({ line, words: [] })) };
}

/**
 * How many receipts the OCR document holds, as {@link buildReceiptsFromDocument} will build them:
 * the routing decision's `receipt_count`.
 */
export function countReceipts(raw: unknown, imageType: ImageType): number {
  const pages = usablePages(raw, []);
  if (pages) return pages.filter((p) => p.text.lines.length > 0).length;
  const text = usableText(raw, []);
  return planReceipts(text.lines, text.image, imageType).length;
}

/**
 * The receipts of an image from its OCR document, one per receipt the layout finds
 * ({@link planReceipts}: several for a scan of receipts side by side), numbered 1..n in reading
 * order. Each has its lines top to bottom with 1-based ids, and words left to right with ids
 * restarting at 1 on each line; their geometry is in the receipt's own frame (see
 * `ReceiptRegionSchema`), and the receipt records its region of the image. Unusable lines and
 * words are skipped and reported. Returns [] when no text is left.
 *
 * A paged document (a PDF, `pages`) gives one receipt per page with text, its receipt_id the
 * page number, its frame the upright page (never clustered: the page is the receipt).
 *
 * @example
 * const receipts = buildReceiptsFromDocument(doc, { image_id, created_at, image_type: 'SCAN' }, skipped);
 */
export function buildReceiptsFromDocument(
  raw: unknown,
  ref: { image_id: string; created_at: string; image_type: ImageType },
  skipped: SkippedRow[],
): ReceiptDetails[] {
  const pages = usablePages(raw, skipped);
  if (pages) {
    // Each page with text is one receipt, numbered by its page: page 2 is receipt 2.
    return pages
      .filter((p) => p.text.lines.length > 0)
      .map((p) =>
        receiptFromPlan(
          p.text,
          pagePlan(p.text),
          { image_id: ref.image_id, receipt_id: p.page, created_at: ref.created_at },
          skipped,
        ),
      );
  }
  const text = usableText(raw, skipped);
  if (text.lines.length === 0) return [];
  return planReceipts(text.lines, text.image, ref.image_type).map((plan, i) =>
    receiptFromPlan(text, plan, { image_id: ref.image_id, receipt_id: i + 1, created_at: ref.created_at }, skipped),
  );
}

/**
 * `text` cut to {@link MAX_TEXT_CHARS} characters (whole code points, never half a surrogate
 * pair), with the flag a cut text is stored with and the cut reported into `skipped`.
 */
function cappedText(text: string, what: string, skipped: SkippedRow[]): { text: string; text_truncated?: true } {
  if (text.length <= MAX_TEXT_CHARS) return { text };
  let kept = text.slice(0, MAX_TEXT_CHARS);
  // Never keep half of a surrogate pair (an emoji or a rare CJK character cut in two).
  if (/[\uD800-\uDBFF]$/u.test(kept)) kept = kept.slice(0, -1);
  skipped.push({
    what,
    reason: `text of ${text.length} characters cut to ${kept.length} (MAX_TEXT_CHARS); the OCR JSON keeps it whole`,
  });
  return { text: kept, text_truncated: true };
}

function receiptFromPlan(
  text: UsableText,
  plan: ReceiptPlan,
  ref: { image_id: string; receipt_id: number; created_at: string },
  skipped: SkippedRow[],
): ReceiptDetails {
  const kept: KeptLine[] = plan.parts.map((part) => {
    const line = text.lines[part.line]!;
    const whole = part.words.length === 0 || part.words.length === line.words.length;
    const words = whole ? line.words : part.words.map((w) => line.words[w]!);
    return {
      text: whole ? line.text : words.map((w) => w.text).join(' '),
      // A line split between receipts is as sure as its own words are.
      confidence: whole ? line.confidence : words.reduce((sum, w) => sum + w.confidence, 0) / words.length,
      geometry: toReceiptFrame(partGeometry(line, part, text.image), plan.frame),
      words: words.map((w) => ({ ...w, geometry: toReceiptFrame(w.geometry, plan.frame) })),
    };
  });
  kept.sort((a, b) => readingOrder(a.geometry, b.geometry));

  const { image_id, receipt_id, created_at } = ref;
  const lines: ReceiptLine[] = [];
  const words: ReceiptWord[] = [];
  kept.forEach((line, i) => {
    const line_id = i + 1;
    const where = `receipt ${receipt_id} line ${line_id}`;
    lines.push({
      image_id,
      receipt_id,
      line_id,
      ...cappedText(line.text, where, skipped),
      confidence: line.confidence,
      ...line.geometry,
    });
    line.words.forEach((w, j) => {
      words.push({
        image_id,
        receipt_id,
        line_id,
        word_id: j + 1,
        ...cappedText(w.text, `${where} word ${j + 1}`, skipped),
        confidence: w.confidence,
        ...w.geometry,
      });
    });
  });
  return {
    receipt: {
      image_id,
      receipt_id,
      line_count: lines.length,
      word_count: words.length,
      region: frameRegion(plan.frame),
      created_at,
    },
    lines,
    words,
  };
}
