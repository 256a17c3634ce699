import { dominantAngle, median, rotatePoint, type OrientedBox } from './oriented-box.js';

/** One piece of text to place: a word (or a line without words), with its box in pixels. */
export interface LayoutUnit {
  box: OrientedBox;
  text: string;
}

/**
 * Words on one row closer than this many text heights belong together (a word space is about
 * half a height; receipts on a flatbed sit several heights apart, paper margins included).
 */
export const WORD_GAP_HEIGHTS = 1.5;
/**
 * Text stacked with some horizontal overlap and a vertical gap up to this many text heights
 * belongs together: about three blank printed rows. Receipts stacked closer than that merge.
 */
export const STACK_GAP_HEIGHTS = 6;
/** Two units share a printed row when their centres differ by at most this many text heights. */
export const ROW_TOLERANCE_HEIGHTS = 0.35;
/** Share of a block's units that must share a row with the host for the block to be its column. */
export const ANNEX_ALIGNED_SHARE = 0.75;
/** A column no wider than this share of its host's width is subordinate to it. */
export const ANNEX_WIDTH_SHARE = 0.6;
/** A column whose text is less than this share letters (prices, quantities) is subordinate. */
export const ANNEX_LETTER_SHARE = 0.4;
/** A block with fewer printed rows than this is a fragment, never a receipt on its own. */
export const MIN_RECEIPT_ROWS = 3;
/**
 * A block with fewer letters and digits than this is a fragment: scan edges and folds read as
 * columns of `|` and `:`; a receipt's name and address alone hold more.
 */
export const MIN_RECEIPT_CHARACTERS = 16;
/**
 * Blocks one above the other whose horizontal extents overlap by at least this share of the
 * narrower one are one receipt, whatever the gap: receipts print long blank stretches (before
 * a footer, around a signature), and splitting those is worse than missing receipts stacked
 * in one column of a scan.
 */
export const STACKED_OVERLAP_SHARE = 0.5;

interface Placed {
  index: number;
  box: OrientedBox;
  /** Centre after deskewing the whole page. */
  cx: number;
  cy: number;
  /** Axis-aligned envelope after deskewing. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  text: string;
}

interface Block {
  members: Placed[];
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/**
 * Groups the units of one image into receipts, from geometry alone (pure). Returns unit indices,
 * one array per receipt, in reading order, left to right.
 * Every unit lands in exactly one receipt; an image with text always yields at least one.
 *
 * 1. **Deskew**: the page is turned by its dominant text angle, so rows are horizontal.
 * 2. **Blocks**: units are linked when they sit on one row within {@link WORD_GAP_HEIGHTS}, or
 *    overlap horizontally with a vertical gap under {@link STACK_GAP_HEIGHTS}; linked units form
 *    a block. Side-by-side receipts never link, since no text bridges the gap between papers.
 * 3. **Columns rejoin their receipt**: a receipt prints its prices (or quantities, or values)
 *    as a separate column, far from the item names; that column is its own block now. A block
 *    is a column of a host block when it lies within the host's height, at least
 *    {@link ANNEX_ALIGNED_SHARE} of its units share a printed row with the host (measured in
 *    the host's own angle, so tilted receipts still align), and it is subordinate: narrower
 *    than {@link ANNEX_WIDTH_SHARE} of the host, or mostly digits. A column prefers the host on
 *    its left (values follow their labels), so the prices at a receipt's right edge do not join
 *    the receipt next to it. Two receipts whose rows happen to line up do not merge, because
 *    neither is a narrow, numeric column of the other.
 *    Blocks one above the other that overlap horizontally are joined first, whatever the gap
 *    ({@link STACKED_OVERLAP_SHARE}): receipts are split side by side, never top from bottom.
 * 4. **Fragments**: a block with fewer than {@link MIN_RECEIPT_ROWS} rows or
 *    {@link MIN_RECEIPT_CHARACTERS} letters and digits (a stray mark, a scan edge read as `|||`)
 *    joins the nearest block that is big enough.
 *
 * @example
 * const receipts = clusterReceipts(words.map((w) => ({ box: orientedBox(w, size), text: w.text })));
 * receipts.length; // 3 for a scan of three receipts side by side
 */
export function clusterReceipts(units: readonly LayoutUnit[]): number[][] {
  if (units.length === 0) return [];
  const pageAngle = dominantAngle(units.map((u) => u.box));
  const placed = units.map((u, index) => place(u, index, pageAngle));
  const textHeight = Math.max(median(units.map((u) => u.box.height)), 1);

  let blocks = linkBlocks(placed, textHeight);
  blocks = joinStacked(blocks);
  blocks = rejoinColumns(blocks, textHeight);
  blocks = absorbFragments(blocks, textHeight);
  return orderBlocks(blocks).map((b) => b.members.map((m) => m.index).sort((a, c) => a - c));
}

function place(u: LayoutUnit, index: number, pageAngle: number): Placed {
  const centre = rotatePoint({ x: u.box.cx, y: u.box.cy }, -pageAngle);
  const residual = u.box.angle - pageAngle;
  const c = Math.abs(Math.cos(residual));
  const s = Math.abs(Math.sin(residual));
  const hx = (u.box.width * c + u.box.height * s) / 2;
  const hy = (u.box.width * s + u.box.height * c) / 2;
  return {
    index,
    box: u.box,
    cx: centre.x,
    cy: centre.y,
    x0: centre.x - hx,
    x1: centre.x + hx,
    y0: centre.y - hy,
    y1: centre.y + hy,
    text: u.text,
  };
}

function linked(a: Placed, b: Placed, t: number): boolean {
  const vOverlap = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  const hGap = Math.max(b.x0 - a.x1, a.x0 - b.x1, 0);
  if (vOverlap >= 0.5 * Math.min(a.box.height, b.box.height) && hGap <= WORD_GAP_HEIGHTS * t) return true;
  const hOverlap = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const vGap = Math.max(b.y0 - a.y1, a.y0 - b.y1, 0);
  return hOverlap > 0 && vGap <= STACK_GAP_HEIGHTS * t;
}

function linkBlocks(placed: Placed[], t: number): Block[] {
  const parent = placed.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  for (let i = 0; i < placed.length; i++) {
    for (let j = i + 1; j < placed.length; j++) {
      if (linked(placed[i]!, placed[j]!, t)) parent[find(i)] = find(j);
    }
  }
  const groups = new Map<number, Placed[]>();
  placed.forEach((p, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(p);
    else groups.set(root, [p]);
  });
  return [...groups.values()].map(blockOf);
}

function blockOf(members: Placed[]): Block {
  return {
    members,
    x0: Math.min(...members.map((m) => m.x0)),
    x1: Math.max(...members.map((m) => m.x1)),
    y0: Math.min(...members.map((m) => m.y0)),
    y1: Math.max(...members.map((m) => m.y1)),
  };
}

function merge(a: Block, b: Block): Block {
  return blockOf([...a.members, ...b.members]);
}

function letterShare(block: Block): number {
  const text = block.members.map((m) => m.text).join('');
  const visible = text.replace(/\s+/g, '');
  if (visible.length === 0) return 0;
  return (visible.match(/\p{L}/gu)?.length ?? 0) / visible.length;
}

/** Centre heights of the block's units, measured across the host's own rows. */
function rowHeights(members: readonly Placed[], angle: number): number[] {
  return members.map((m) => rotatePoint({ x: m.box.cx, y: m.box.cy }, -angle).y);
}

function isColumnOf(column: Block, host: Block, t: number): boolean {
  if (column.y0 < host.y0 - 2 * t || column.y1 > host.y1 + 2 * t) return false;
  const narrow = column.x1 - column.x0 <= ANNEX_WIDTH_SHARE * (host.x1 - host.x0);
  if (!narrow && letterShare(column) >= ANNEX_LETTER_SHARE) return false;
  const angle = dominantAngle(host.members.map((m) => m.box));
  const hostRows = rowHeights(host.members, angle);
  const aligned = rowHeights(column.members, angle).filter((y) =>
    hostRows.some((h) => Math.abs(h - y) <= ROW_TOLERANCE_HEIGHTS * t),
  );
  return aligned.length >= ANNEX_ALIGNED_SHARE * column.members.length;
}

function stacked(a: Block, b: Block): boolean {
  const overlap = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  return overlap >= STACKED_OVERLAP_SHARE * Math.min(a.x1 - a.x0, b.x1 - b.x0);
}

function joinStacked(blocks: Block[]): Block[] {
  const current = [...blocks];
  for (let i = 0; i < current.length; i++) {
    for (let j = i + 1; j < current.length; j++) {
      if (!stacked(current[i]!, current[j]!)) continue;
      current[i] = merge(current[i]!, current[j]!);
      current.splice(j, 1);
      j = i; // the grown block may now overlap blocks it did not before
    }
  }
  return current;
}

function horizontalGap(a: Block, b: Block): number {
  return Math.max(b.x0 - a.x1, a.x0 - b.x1, 0);
}

function rejoinColumns(blocks: Block[], t: number): Block[] {
  let current = [...blocks];
  for (;;) {
    const bySize = [...current].sort((a, b) => a.members.length - b.members.length);
    let joined: { column: Block; host: Block } | null = null;
    for (const column of bySize) {
      const hosts = current.filter((h) => h !== column && isColumnOf(column, h, t));
      const centre = (b: Block) => (b.x0 + b.x1) / 2;
      const nearest = (side: Block[]) => side.sort((a, b) => horizontalGap(a, column) - horizontalGap(b, column))[0];
      const host =
        nearest(hosts.filter((h) => centre(h) < centre(column))) ??
        nearest(hosts.filter((h) => centre(h) >= centre(column)));
      if (host) {
        joined = { column, host };
        break;
      }
    }
    if (!joined) return current;
    const { column, host } = joined;
    current = [...current.filter((b) => b !== column && b !== host), merge(host, column)];
  }
}

function rowCount(block: Block, t: number): number {
  const ys = block.members.map((m) => m.cy).sort((a, b) => a - b);
  let rows = 0;
  let last = -Infinity;
  for (const y of ys) {
    if (y - last > ROW_TOLERANCE_HEIGHTS * 2 * t) rows++;
    last = y;
  }
  return rows;
}

function distance(a: Block, b: Block): number {
  const dx = Math.max(b.x0 - a.x1, a.x0 - b.x1, 0);
  const dy = Math.max(b.y0 - a.y1, a.y0 - b.y1, 0);
  return Math.hypot(dx, dy);
}

function characterCount(block: Block): number {
  return block.members.reduce((n, m) => n + (m.text.match(/[\p{L}\p{N}]/gu)?.length ?? 0), 0);
}

function absorbFragments(blocks: Block[], t: number): Block[] {
  const receipts = blocks.filter(
    (b) => rowCount(b, t) >= MIN_RECEIPT_ROWS && characterCount(b) >= MIN_RECEIPT_CHARACTERS,
  );
  if (receipts.length <= 1) return [blocks.reduce(merge)];
  const fragments = blocks.filter((b) => !receipts.includes(b));
  const grown = new Map(receipts.map((r) => [r, r]));
  for (const fragment of fragments) {
    const nearest = receipts.reduce((best, r) => (distance(fragment, r) < distance(fragment, best) ? r : best));
    grown.set(nearest, merge(grown.get(nearest)!, fragment));
  }
  return [...grown.values()];
}

/** Left to right; a block entirely above another (stacked receipts) comes first. */
function orderBlocks(blocks: Block[]): Block[] {
  return [...blocks].sort((a, b) => {
    const sideBySide = Math.min(a.y1, b.y1) > Math.max(a.y0, b.y0);
    return sideBySide ? a.x0 - b.x0 : b.y1 - a.y1;
  });
}
