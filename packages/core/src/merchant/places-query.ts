import type { MerchantSignals } from './signals.js';

/** Places cuts long queries; the name and the distinctive address parts must fit before that. */
const MAX_QUERY_CHARS = 200;

/**
 * The one text query for a new merchant, typed the way a person searches Maps: the name as
 * printed (with the name line right under it, when the name runs over two lines), the address
 * lines including the outlet line ("1214-JINJANG UTARA"), and the phone. Every part narrows the
 * search: the name finds the company, the address numbers and branch line pick its shop, and
 * the phone finds it even when the name was misread.
 *
 * @example
 * buildPlacesQuery(extractMerchantSignals(['99 SPEED MART S/B', 'LOT P.T. 2811, JALAN ANGSA', '1214-JINJANG UTARA']));
 * // '99 SPEED MART S/B LOT P.T. 2811, JALAN ANGSA 1214-JINJANG UTARA'
 */
export function buildPlacesQuery(signals: MerchantSignals, options: { nameIndex?: number } = {}): string | null {
  const nameIndex = options.nameIndex ?? 0;
  const name = nameBlock(signals, nameIndex);
  if (nameIndex > 0 && !name) return null;
  const parts = [name ?? '', ...addressPart(signals, nameIndex), signals.phones[0] ?? '']
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length === 0) return null;
  return parts.join(' ').replace(/\s+/g, ' ').slice(0, MAX_QUERY_CHARS).trim();
}

/**
 * The address lines; when none was recognised (an address without street words, "109, SS21/1A"),
 * the two lines under the name with a digit in them, where a shop prints its address.
 */
function addressPart(signals: MerchantSignals, nameIndex: number): string[] {
  if (signals.addressLines.length > 0) return signals.addressLines;
  const line = signals.nameLineIndexes[nameIndex] ?? signals.nameLineIndexes[0];
  if (line === undefined) return [];
  const skip = new Set([...signals.phoneLineIndexes, ...signals.identifierLineIndexes]);
  return [line + 1, line + 2]
    .filter((i) => !skip.has(i) && /\d/.test(signals.headerLines[i] ?? ''))
    .map((i) => signals.headerLines[i]!);
}

/** The chosen name line with the name lines printed right above and below it (a name broken over lines). */
function nameBlock(signals: MerchantSignals, nameIndex: number): string | null {
  const line = signals.nameLineIndexes[nameIndex];
  if (line === undefined) return null;
  return nameBlocks(signals).find((b) => b.lines.includes(line))?.text ?? null;
}

/**
 * Runs of name candidates on consecutive lines, joined top to bottom, at most three lines each:
 * "AIK HUAT HARDWARE" / "ENTERPRISE (SETIA" / "ALAM) SDN BHD" is one name.
 */
export function nameBlocks(signals: MerchantSignals): { text: string; lines: number[] }[] {
  const byLine = new Map(signals.nameLineIndexes.map((l, i) => [l, signals.nameCandidates[i] ?? '']));
  const sorted = [...byLine.keys()].sort((a, b) => a - b);
  const blocks: { text: string; lines: number[] }[] = [];
  for (const l of sorted) {
    const last = blocks[blocks.length - 1];
    if (last && last.lines[last.lines.length - 1] === l - 1 && last.lines.length < 3) last.lines.push(l);
    else blocks.push({ text: '', lines: [l] });
  }
  for (const b of blocks) b.text = b.lines.map((l) => byLine.get(l)).join(' ');
  return blocks;
}
