/** Digits after the point of a currency's minor unit (2 for USD, 0 for JPY), as ICU knows it. */
export function minorDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** 1250 USD → "$12.50"; an unknown currency code is shown as "12.50 XYZ". */
export function formatMoney(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const major = minor / 10 ** digits;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(major);
  } catch {
    return `${major.toFixed(digits)} ${currency}`;
  }
}

/** "12.50" typed by a person → 1250 minor units; null when it is not an amount. */
export function parseMajor(text: string, currency: string): number | null {
  const cleaned = text.trim().replace(/,/g, '');
  if (!/^-?\d+(\.\d+)?$/.test(cleaned)) return null;
  return Math.round(Number(cleaned) * 10 ** minorDigits(currency));
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
