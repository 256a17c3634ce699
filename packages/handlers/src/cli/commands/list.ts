import { IsoDateSchema, UsageError } from '@receiptflow/core';
import { parseFlags, positiveInt, type Print } from '../args.js';
import { UploadApiClient } from '../http-client.js';
import { API_FLAGS, formatAmount, table } from '../receipts-api.js';

/** A receipt as `GET /receipts` lists it (the fields this command reads). */
interface Summary {
  image_id: string;
  receipt_id: number;
  date: string | null;
  total: { amount_minor: number; currency: string } | null;
  merchant: { place_id: string; name: string; source: string } | null;
  possible_duplicate_of?: { image_id: string; receipt_id: number };
}

/** The API's page size limit: longer listings follow `next_cursor`. */
const MAX_PAGE = 100;

/**
 * `receipts list [--merchant PLACE_ID] [--from DATE] [--to DATE] [--min AMOUNT] [--max AMOUNT]
 * [--text TEXT] [--limit N | --all] [--json] [--url URL] [--token T]`: the owner's receipts,
 * newest first, as a table (or one JSON object per line with --json). Every flag is checked
 * here first, so a typo is a UsageError naming the flag rather than a round trip.
 */
export async function listCommand(argv: string[], out: Print, err: Print): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      ...API_FLAGS,
      merchant: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      min: { type: 'string' },
      max: { type: 'string' },
      text: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    true,
  );
  if (positionals.length > 0) throw new UsageError(`list takes no arguments, got "${positionals[0]}"`);
  if (values.all && values.limit !== undefined) throw new UsageError('--all and --limit cannot be used together');
  const params = new URLSearchParams();
  if (values.merchant !== undefined) params.set('merchant', nonEmpty(values.merchant, '--merchant'));
  if (values.from !== undefined) params.set('from', isoDate(values.from, '--from'));
  if (values.to !== undefined) params.set('to', isoDate(values.to, '--to'));
  if (values.from !== undefined && values.to !== undefined && values.from > values.to) {
    throw new UsageError(`--from ${values.from} is after --to ${values.to}`);
  }
  const min = values.min === undefined ? undefined : amount(values.min, '--min');
  const max = values.max === undefined ? undefined : amount(values.max, '--max');
  if (min !== undefined) params.set('min', values.min!);
  if (max !== undefined) params.set('max', values.max!);
  if (min !== undefined && max !== undefined && min > max) {
    throw new UsageError(`--min ${values.min} is above --max ${values.max}`);
  }
  if (values.text !== undefined) params.set('text', nonEmpty(values.text, '--text'));
  const wanted = values.all ? Infinity : positiveInt(values.limit, '--limit', 25);

  const client = new UploadApiClient(values.url, values.token);
  const receipts: Summary[] = [];
  let cursor: string | null = null;
  do {
    const page = new URLSearchParams(params);
    page.set('limit', String(Math.min(MAX_PAGE, wanted - receipts.length)));
    if (cursor) page.set('cursor', cursor);
    const res = (await client.request('GET', `/receipts?${page}`)) as {
      receipts: Summary[];
      next_cursor: string | null;
    };
    for (const r of res.receipts) {
      if (values.json) out(JSON.stringify(r));
      receipts.push(r);
    }
    cursor = res.next_cursor;
  } while (cursor && receipts.length < wanted);

  if (!values.json) {
    if (receipts.length === 0) err('no receipts match');
    else
      for (const line of table([
        ['ID', 'DATE', 'TOTAL', 'MERCHANT'],
        ...receipts.map((r) => [
          `${r.image_id}/${r.receipt_id}`,
          r.date ?? '-',
          formatAmount(r.total),
          merchantCell(r),
        ]),
      ]))
        out(line);
  }
  if (cursor) err(`showing the first ${receipts.length}; more match (--limit N or --all)`);
  return 0;
}

function merchantCell(r: Summary): string {
  const name = r.merchant ? `${r.merchant.name} (${r.merchant.place_id})` : '-';
  const dup = r.possible_duplicate_of;
  return dup ? `${name} [possible duplicate of ${dup.image_id}/${dup.receipt_id}]` : name;
}

function nonEmpty(value: string, flag: string): string {
  if (value.trim() === '') throw new UsageError(`${flag} needs a value`);
  return value;
}

function isoDate(value: string, flag: string): string {
  if (!IsoDateSchema.safeParse(value).success)
    throw new UsageError(`${flag} must be a date YYYY-MM-DD, got "${value}"`);
  return value;
}

/** An amount in major units, as the API takes it ("12.5", "12.50", "3"). */
function amount(value: string, flag: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`${flag} must be an amount like 12.50, got "${value}"`);
  return Number(value);
}
