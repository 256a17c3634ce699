import { geometryFromCorners, type Geometry, type OcrLetter, type OcrLine, type OcrWord } from '@receiptflow/core';

/** A pdf.js text item as this module reads it (`getTextContent().items`, marked content left out). */
export interface TextLayerItem {
  str: string;
  /** Text space → page user space (pdf.js's `transform`, font size included). */
  transform: readonly number[];
  /** Advance of the run in user-space units. */
  width: number;
  /** Font height in user-space units. */
  height: number;
}

/** The upright page: pdf.js's viewport at scale 1 with the page's /Rotate applied. */
export interface UprightPage {
  /** User space → upright device space (origin top-left, y down), pdf.js's `viewport.transform`. */
  transform: readonly number[];
  width: number;
  height: number;
}

type Vec = { x: number; y: number };

/** A run of text in the upright page's device space (y down). */
interface Run {
  text: string;
  /** Baseline start. */
  origin: Vec;
  /** Unit vector along the baseline. */
  along: Vec;
  /** Unit vector towards the top of the glyphs. */
  up: Vec;
  length: number;
  height: number;
}

/** Of a glyph's height, the part below the baseline that a box should hold (descenders). */
const DESCENT = 0.2;
/** Runs whose baselines are this many text heights apart (or less) are on one line. */
const SAME_LINE_HEIGHTS = 0.5;
/** Runs this many text heights apart (or less), with no space between, form one word. */
const SAME_WORD_HEIGHTS = 0.25;
/** Runs turned more than this (radians) from each other are never on one line. */
const SAME_DIRECTION_RADIANS = (5 * Math.PI) / 180;

/**
 * The lines and words of a page's text layer, as the OCR document holds them: geometry in the
 * UPRIGHT page (its /Rotate applied through the viewport), normalised 0..1 with the origin at
 * the bottom-left, confidence 1 (the text is the document's own, not a reading of pixels).
 *
 * pdf.js gives runs of text, not lines or words: a run may be a word, a line, or a fragment. Runs
 * turned the same way whose baselines are within {@link SAME_LINE_HEIGHTS} text heights form a
 * line, ordered along the baseline; words are the whitespace-separated pieces of the runs (a
 * piece's extent is its share of the run's characters), and pieces of adjacent runs with no
 * space between them are one word. Lines come top to bottom.
 *
 * @example
 * const page = await pdf.getPage(1);
 * const viewport = page.getViewport({ scale: 1 });
 * const lines = textLayerLines((await page.getTextContent()).items.filter((i) => 'str' in i), viewport);
 */
export function textLayerLines(items: readonly TextLayerItem[], page: UprightPage): OcrLine[] {
  const runs = items.map((item) => toRun(item, page)).filter((r): r is Run => r !== null);
  return groupLines(runs).map((line) => toOcrLine(line, page));
}

function toRun(item: TextLayerItem, page: UprightPage): Run | null {
  if (item.str.trim() === '' || item.transform.length < 6) return null;
  const m = multiply(page.transform, item.transform);
  const alongLength = Math.hypot(m[0]!, m[1]!);
  const upLength = Math.hypot(m[2]!, m[3]!);
  if (alongLength === 0 || upLength === 0) return null;
  // The viewport only rotates and flips (scale 1), so user-space lengths carry over.
  const scale = Math.hypot(page.transform[0]!, page.transform[1]!) || 1;
  return {
    text: item.str,
    origin: { x: m[4]!, y: m[5]! },
    along: { x: m[0]! / alongLength, y: m[1]! / alongLength },
    up: { x: m[2]! / upLength, y: m[3]! / upLength },
    length: Math.max(item.width * scale, 0),
    height: Math.max(item.height * scale, upLength, 1e-6),
  };
}

/** pdf.js's Util.transform: the affine matrix `a` applied after `b`. */
function multiply(a: readonly number[], b: readonly number[]): number[] {
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4, b5] = b as [number, number, number, number, number, number];
  return [
    a0 * b0 + a2 * b1,
    a1 * b0 + a3 * b1,
    a0 * b2 + a2 * b3,
    a1 * b2 + a3 * b3,
    a0 * b4 + a2 * b5 + a4,
    a1 * b4 + a3 * b5 + a5,
  ];
}

const dot = (a: Vec, b: Vec) => a.x * b.x + a.y * b.y;
const angleOf = (v: Vec) => Math.atan2(v.y, v.x);

function groupLines(runs: Run[]): Run[][] {
  const lines: Run[][] = [];
  for (const run of runs) {
    const line = lines.find((l) => sameLine(l[0]!, run));
    if (line) line.push(run);
    else lines.push([run]);
  }
  for (const line of lines) line.sort((a, b) => dot(a.origin, a.along) - dot(b.origin, b.along));
  // Top to bottom in the upright page (device y grows downwards); left to right on a tie.
  return lines.sort((a, b) => a[0]!.origin.y - b[0]!.origin.y || a[0]!.origin.x - b[0]!.origin.x);
}

function sameLine(a: Run, b: Run): boolean {
  let turn = Math.abs(angleOf(a.along) - angleOf(b.along));
  if (turn > Math.PI) turn = 2 * Math.PI - turn;
  if (turn > SAME_DIRECTION_RADIANS) return false;
  const offset = Math.abs(dot({ x: b.origin.x - a.origin.x, y: b.origin.y - a.origin.y }, a.up));
  return offset <= SAME_LINE_HEIGHTS * Math.min(a.height, b.height);
}

/** A word in device space: where along its first run's baseline it starts, and its extent. */
interface Piece {
  text: string;
  start: Vec;
  along: Vec;
  up: Vec;
  length: number;
  height: number;
  /** Characters' extents along the baseline, for the letters. */
  letters: { text: string; from: number; to: number }[];
  /** Whether the run had whitespace right after this piece. */
  spaceAfter: boolean;
}

function pieces(run: Run): Piece[] {
  const chars = [...run.text];
  const perChar = run.length / Math.max(chars.length, 1);
  const out: Piece[] = [];
  let i = 0;
  while (i < chars.length) {
    if (/\s/u.test(chars[i]!)) {
      i++;
      continue;
    }
    const from = i;
    while (i < chars.length && !/\s/u.test(chars[i]!)) i++;
    const offset = from * perChar;
    out.push({
      text: chars.slice(from, i).join(''),
      start: { x: run.origin.x + run.along.x * offset, y: run.origin.y + run.along.y * offset },
      along: run.along,
      up: run.up,
      length: (i - from) * perChar,
      height: run.height,
      letters: chars.slice(from, i).map((c, k) => ({ text: c, from: k * perChar, to: (k + 1) * perChar })),
      spaceAfter: i < chars.length,
    });
  }
  return out;
}

function toOcrLine(runs: Run[], page: UprightPage): OcrLine {
  const words: Piece[] = [];
  let previousRun: Run | null = null;
  for (const run of runs) {
    const next = pieces(run);
    const last = words[words.length - 1];
    const first = next[0];
    if (last && first && previousRun && glues(previousRun, run, last, first)) {
      const gap = dot({ x: first.start.x - last.start.x, y: first.start.y - last.start.y }, last.along);
      words[words.length - 1] = {
        ...last,
        text: last.text + first.text,
        length: gap + first.length,
        height: Math.max(last.height, first.height),
        letters: [...last.letters, ...first.letters.map((l) => ({ ...l, from: l.from + gap, to: l.to + gap }))],
        spaceAfter: first.spaceAfter,
      };
      next.shift();
    }
    words.push(...next);
    previousRun = run;
  }
  const first = words[0]!;
  const lastWord = words[words.length - 1]!;
  const end = dot({ x: lastWord.start.x - first.start.x, y: lastWord.start.y - first.start.y }, first.along);
  const height = Math.max(...words.map((w) => w.height));
  const lineGeometry = boxGeometry(first.start, first.along, first.up, end + lastWord.length, height, page);
  const ocrWords: OcrWord[] = words.map((w) => ({
    text: w.text,
    confidence: 1,
    ...boxGeometry(w.start, w.along, w.up, w.length, w.height, page),
    letters: w.letters.map((l): OcrLetter => ({
      text: l.text,
      confidence: 1,
      ...boxGeometry(
        { x: w.start.x + w.along.x * l.from, y: w.start.y + w.along.y * l.from },
        w.along,
        w.up,
        l.to - l.from,
        w.height,
        page,
      ),
    })),
  }));
  return { text: words.map((w) => w.text).join(' '), confidence: 1, ...lineGeometry, words: ocrWords };
}

/** Two runs' touching pieces are one word when no space separates them and they nearly meet. */
function glues(previous: Run, run: Run, last: Piece, first: Piece): boolean {
  if (last.spaceAfter || /\s$/u.test(previous.text) || /^\s/u.test(run.text)) return false;
  if (!sameLine(previous, run)) return false;
  const lastEnd = dot(last.start, last.along) + last.length;
  const gap = dot(first.start, last.along) - lastEnd;
  return Math.abs(gap) <= SAME_WORD_HEIGHTS * Math.min(last.height, first.height);
}

/**
 * The geometry of a box on a baseline, from device space (y down) to the OCR document's frame:
 * normalised over the upright page, origin bottom-left.
 */
function boxGeometry(start: Vec, along: Vec, up: Vec, length: number, height: number, page: UprightPage): Geometry {
  const bottomLeft = { x: start.x - up.x * DESCENT * height, y: start.y - up.y * DESCENT * height };
  const rise = { x: up.x * height, y: up.y * height };
  const run = { x: along.x * length, y: along.y * length };
  const norm = (p: Vec) => ({ x: p.x / page.width, y: 1 - p.y / page.height });
  return geometryFromCorners(
    {
      bottom_left: norm(bottomLeft),
      bottom_right: norm({ x: bottomLeft.x + run.x, y: bottomLeft.y + run.y }),
      top_left: norm({ x: bottomLeft.x + rise.x, y: bottomLeft.y + rise.y }),
      top_right: norm({ x: bottomLeft.x + rise.x + run.x, y: bottomLeft.y + rise.y + run.y }),
    },
    // Counter-clockwise from the x axis in the y-up frame (`|| 0`: no -0 for upright text).
    Math.round(Math.atan2(-along.y, along.x) * 1e9) / 1e9 || 0,
  );
}
