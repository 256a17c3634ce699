import { isValid, parse } from 'date-fns';

/** Which way a numeric date is read first: day first (25/12/2018) or month first (12/25/2018). */
export type DateOrder = 'DMY' | 'MDY';

const NUMERIC: Record<DateOrder, string> = { DMY: 'd/M/', MDY: 'M/d/' };
/** Month names, short or long, either side of the day ("3 OCT 2016", "Oct 3, 2016", "25-DEC-18"). */
const NAMED = ['d MMM ', 'd MMMM ', 'MMM d ', 'MMMM d '];

/**
 * Two-digit years are read within 50 years of 2000 (1950–2049), whatever day it is, so that
 * the same text always gives the same date.
 */
const REFERENCE = new Date(2000, 0, 1);

/**
 * The ISO reading (YYYY-MM-DD) of a date as printed, or null when it cannot be read as a real
 * date. Parsing is date-fns `parse` with explicit formats (docs/fields.md says why): numeric dates
 * in `order` first, the other order only when `order` cannot give a real date (13/… is not a
 * month); year-first dates; and dates with month names.
 *
 * @example
 * readDate('05/01/2018', 'DMY'); // '2018-01-05'
 * readDate('05/01/2018', 'MDY'); // '2018-05-01'
 * readDate('25/12/2018', 'MDY'); // '2018-12-25' (25 cannot be a month)
 * readDate('Oct 3, 2016', 'DMY'); // '2016-10-03'
 */
export function readDate(text: string, order: DateOrder): string | null {
  const trimmed = text.trim();
  // The year's width picks `yyyy` or `yy`: date-fns' `yyyy` would also take "18" as the year 18.
  if (/^\d{4}[/.-]\d{1,2}[/.-]\d{1,2}$/.test(trimmed)) return firstValid(trimmed.replace(/[.-]/g, '/'), ['yyyy/M/d']);
  const numeric = /^\d{1,2}[/.-]\d{1,2}[/.-](\d{2}|\d{4})$/.exec(trimmed);
  if (numeric) {
    const year = numeric[1]!.length === 4 ? 'yyyy' : 'yy';
    const other: DateOrder = order === 'DMY' ? 'MDY' : 'DMY';
    return firstValid(trimmed.replace(/[.-]/g, '/'), [NUMERIC[order] + year, NUMERIC[other] + year]);
  }
  const named = /^(.*\D)(\d{2}|\d{4})$/.exec(trimmed.replace(/[,.\-/]+/g, ' ').replace(/\s+/g, ' '));
  if (!named) return null;
  const year = named[2]!.length === 4 ? 'yyyy' : 'yy';
  return firstValid(
    `${named[1]!.trim()} ${named[2]!}`,
    NAMED.map((f) => f + year),
  );
}

function firstValid(text: string, formats: readonly string[]): string | null {
  for (const format of formats) {
    const date = parse(text, format, REFERENCE);
    // date-fns builds a local-time Date; its local calendar fields are the printed date.
    if (isValid(date)) return isoOf(date);
  }
  return null;
}

function isoOf(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
