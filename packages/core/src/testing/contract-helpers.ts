/** Helpers shared by the store contract suites. */

export function sorted<T>(items: T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function shuffled<T>(items: T[]): T[] {
  // Deterministic reversal-interleave, enough to prove the store sorts on read.
  const out: T[] = [];
  for (let i = 0; i < items.length; i++) {
    out.push(items[i % 2 === 0 ? items.length - 1 - i / 2 : (i - 1) / 2] as T);
  }
  return out;
}
