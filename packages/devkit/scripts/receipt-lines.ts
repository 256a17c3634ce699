/**
 * Receipt-like line texts for the vector smoke script: merchants repeat across receipts, items
 * repeat within a merchant, prices and dates vary, like real receipt memory.
 */
export function receiptLineSource(seed = 1): () => string {
  let state = seed >>> 0;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const syllables = [
    'KA',
    'RO',
    'MI',
    'TE',
    'SUN',
    'LO',
    'VAN',
    'BER',
    'CO',
    'PIN',
    'DEL',
    'MAR',
    'TOR',
    'ELL',
    'AN',
    'GRO',
  ];
  const word = () => Array.from({ length: 2 + Math.floor(random() * 2) }, () => pick(syllables)).join('');
  const words = Array.from({ length: 3000 }, word);
  const kinds = ['MARKET', 'CAFE', 'HARDWARE', 'PHARMACY', 'GROCERY', 'DELI', 'BAKERY', 'GAS'];
  const merchants = Array.from({ length: 5000 }, () => ({
    name: `${pick(words)} ${pick(words)} ${pick(kinds)}`,
    street: `${1 + Math.floor(random() * 9999)} ${pick(words)} ${pick(['STREET', 'AVE', 'BLVD', 'ROAD'])}`,
    city: `${pick(words)}, ${pick(['CA', 'OR', 'WA', 'CO', 'NY'])} ${10000 + Math.floor(random() * 89999)}`,
    goods: Array.from({ length: 40 }, () => `${pick(words)} ${pick(words)}`),
  }));
  const money = () => (random() * 60).toFixed(2);
  return () => {
    const m = pick(merchants);
    const r = random();
    if (r < 0.05) return m.name;
    if (r < 0.08) return m.street;
    if (r < 0.11) return m.city;
    if (r < 0.14) return `(${200 + Math.floor(random() * 700)}) 555-0${100 + Math.floor(random() * 900)}`;
    if (r < 0.18) return `${pick(['TOTAL', 'SUBTOTAL', 'TAX', 'VISA', 'CHANGE'])} ${money()}`;
    if (r < 0.2)
      return `${1 + Math.floor(random() * 12)}/${1 + Math.floor(random() * 28)}/2024 ${Math.floor(random() * 24)}:${10 + Math.floor(random() * 50)}`;
    return `${pick(m.goods)} ${money()}`;
  };
}
