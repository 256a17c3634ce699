/**
 * The text embedded for each line and word. Context makes "TOTAL 12.50" under "SUBTOTAL" differ
 * from the same text elsewhere, and makes a merchant's header lines (name above address above
 * phone) embed alike on every receipt of that merchant, which is what vector memory relies on.
 * Queries must use the same functions as deltas, or similarities are not comparable.
 */

/** A line with the line above and the line below. */
export function lineEmbeddingText(lines: readonly string[], index: number): string {
  const above = index > 0 ? (lines[index - 1] ?? '') : '';
  const below = lines[index + 1] ?? '';
  return `${lines[index] ?? ''}\n[above] ${above}\n[below] ${below}`;
}

/** A word with its left and right neighbours and the text of its line. */
export function wordEmbeddingText(words: readonly string[], index: number, lineText: string): string {
  const left = index > 0 ? (words[index - 1] ?? '') : '';
  const right = words[index + 1] ?? '';
  return `${words[index] ?? ''}\n[neighbours] ${left} ${words[index] ?? ''} ${right}\n[line] ${lineText}`;
}
