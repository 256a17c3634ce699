import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoReceipts, renderReceipt, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAmount, parseItem } from '../src/cli/commands/fix.js';
import { startServe, type ServeHandle } from '../src/cli/commands/serve.js';
import { submitCommand } from '../src/cli/commands/submit.js';
import { run } from '../src/cli/main.js';
import { ProgressBar, render } from '../src/cli/progress-bar.js';
import { parseReceiptRef } from '../src/cli/receipts-api.js';
import { captureStderr } from './support/capture-stderr.js';

// `receipts submit DIR` runs real tesseract on two receipts (~3 s).

describe('receipts list/show/fix/rm/export: flags checked before any request', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // Port 9 (discard) on loopback: nothing listens, so a command that got past its flags would
  // fail with SERVER_UNREACHABLE (exit 1), not the usage error (exit 2) asserted here.
  const url = ['--url', 'http://127.0.0.1:9'];
  it.each([
    [['list', '--from', '2024-13-01'], /--from must be a date YYYY-MM-DD, got "2024-13-01"/],
    [['list', '--to', 'yesterday'], /--to must be a date YYYY-MM-DD, got "yesterday"/],
    [['list', '--from', '2024-05-01', '--to', '2024-04-01'], /--from 2024-05-01 is after --to 2024-04-01/],
    [['list', '--min', 'ten'], /--min must be an amount like 12\.50, got "ten"/],
    [['list', '--max=-3'], /--max must be an amount like 12\.50, got "-3"/],
    [['list', '--min', '20', '--max', '10'], /--min 20 is above --max 10/],
    [['list', '--merchant', ' '], /--merchant needs a value/],
    [['list', '--limit', '0'], /--limit must be a positive integer/],
    [['list', '--all', '--limit', '5'], /--all and --limit cannot be used together/],
    [['list', '--merchnt', 'x'], /Unknown option '--merchnt'/],
    [['list', 'extra'], /list takes no arguments, got "extra"/],
    [['show'], /show needs one ID/],
    [['show', 'a/b'], /"a\/b" is not a receipt ID/],
    [['show', 'img/0'], /"img\/0" is not a receipt ID/],
    [['show', 'bad id!'], /"bad id!" is not a receipt ID/],
    [['rm'], /rm needs one ID/],
    [['rm', 'a', 'b'], /rm takes one ID/],
    [['fix', 'img-1'], /fix needs --merchant PLACE_ID, --field NAME=VALUE or --item "DESCRIPTION=AMOUNT"/],
    [
      ['fix', 'img-1', '--item', 'Bread'],
      /--item must be "DESCRIPTION=AMOUNT" or "QTY x DESCRIPTION=AMOUNT", got "Bread"/,
    ],
    [['fix', 'img-1', '--item', '=4.00'], /--item must be "DESCRIPTION=AMOUNT"/],
    [['fix', 'img-1', '--item', '0 x Bread=4.00'], /--item quantity must be above 0/],
    [['fix', 'img-1', '--item', 'Bread=four USD'], /--item must be an amount like 12\.50/],
    // Without a currency the receipt's would be read first: the typo is still found before that.
    [['fix', 'img-1', '--item', 'Bread=4.0.0'], /--item must be an amount like 12\.50 or "12\.50 EUR", got "4\.0\.0"/],
    [
      ['fix', 'img-1', '--field', 'total=1,50'],
      /--field total must be an amount like 12\.50 or "12\.50 EUR", got "1,50"/,
    ],
    [['fix', 'img-1', '--field', 'colour=red'], /--field must be NAME=VALUE with NAME one of date, total/],
    [['fix', 'img-1', '--field', 'date=14/03/2024'], /--field date must be YYYY-MM-DD, got "14\/03\/2024"/],
    [['fix', 'img-1', '--field', 'payment_method=bitcoin'], /--field payment_method must be one of cash, card/],
    [['fix', 'img-1', '--field', 'total=12.505 USD'], /--field total: USD has 2 decimals, got "12.505 USD"/],
    [['fix', 'img-1', '--field', 'tax=1.5 XYZ'], /--field tax: "XYZ" is not an ISO 4217 currency code/],
    [['fix', 'img-1', '--merchant', ''], /--merchant needs a place_id/],
    [['export'], /--format must be csv or jsonl, got nothing/],
    [['export', '--format', 'xlsx'], /--format must be csv or jsonl, got "xlsx"/],
    [['submit'], /submit needs at least one FILE or DIR/],
    [['submit', '/no/such/folder'], /cannot read \/no\/such\/folder/],
  ])('receipts %j → exit 2 naming the mistake', async (argv, message) => {
    const err = captureStderr();
    const code = await run([...argv, ...url]);
    err.restore();
    expect(err.text()).toMatch(message);
    expect(code, err.text()).toBe(2);
    expect(err.text()).toContain('usage: receipts <command>');
  });

  it('reads IDs as IMAGE_ID/RECEIPT_ID or IMAGE_ID (receipt 1)', () => {
    expect(parseReceiptRef('abc-1/3', 'show')).toEqual({ imageId: 'abc-1', receiptId: 3 });
    expect(parseReceiptRef('abc-1', 'show')).toEqual({ imageId: 'abc-1', receiptId: 1 });
  });

  it('reads corrected amounts exactly, in the currency given or the fallback', () => {
    expect(parseAmount('total', '12.5', 'USD')).toEqual({ minor: 1250, currency: 'USD' });
    expect(parseAmount('total', '12.50 eur', 'USD')).toEqual({ minor: 1250, currency: 'EUR' });
    expect(parseAmount('total', '1000JPY', null)).toEqual({ minor: 1000, currency: 'JPY' });
    expect(parseAmount('tax', '-4.20', 'MYR')).toEqual({ minor: -420, currency: 'MYR' });
    expect(() => parseAmount('total', '12.50', null)).toThrow(/the receipt has no currency yet/);
    expect(() => parseAmount('total', '12.5 JPY', null)).toThrow(/JPY has 0 decimals/);
  });

  it('reads line items as typed: an optional quantity, the last = before the amount', () => {
    expect(parseItem('Oat milk=4.98')).toEqual({ description: 'Oat milk', quantity: null, amount: '4.98' });
    expect(parseItem(' 2 x Oat milk = 4.98 EUR')).toEqual({ description: 'Oat milk', quantity: 2, amount: '4.98 EUR' });
    expect(parseItem('0.5 X Cheese=3')).toEqual({ description: 'Cheese', quantity: 0.5, amount: '3' });
    expect(parseItem('a=b=1.00')).toEqual({ description: 'a=b', quantity: null, amount: '1.00' });
    // "2 xl shirt": no quantity unless "x" stands alone.
    expect(parseItem('2 xl shirt=9.99')).toEqual({ description: '2 xl shirt', quantity: null, amount: '9.99' });
  });
});

describe('the submit progress bar', () => {
  const p = { total: 4, uploaded: 2, duplicates: 1, done: 1, failed: 0 };

  it('off a terminal: a line only when the figures change', () => {
    const lines: string[] = [];
    const bar = new ProgressBar((t) => lines.push(t), false);
    bar.update(p);
    bar.update(p);
    bar.update({ ...p, done: 2 });
    bar.finish();
    expect(lines).toEqual([`${render(p)}\n`, `${render({ ...p, done: 2 })}\n`]);
    expect(render(p)).toBe('[#####---------------] 1/4 done · uploaded 2/4 · 1 duplicate · 0 failed');
  });

  it('on a terminal: one line redrawn in place, ended once', () => {
    const writes: string[] = [];
    const bar = new ProgressBar((t) => writes.push(t), true);
    bar.update(p);
    bar.update({ ...p, done: 4, uploaded: 4 });
    bar.finish();
    expect(writes.slice(0, 2).every((w) => w.startsWith('\r') && !w.includes('\n'))).toBe(true);
    expect(writes[2]).toBe('\n');
  });
});

describe('receipts submit DIR (real serve, real tesseract)', () => {
  const receipts = demoReceipts(7).slice(0, 2);
  let work: string;
  let serve: ServeHandle;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'receipts-submit-dir-'));
    await writeFile(join(work, 'catalog.json'), JSON.stringify(syntheticCatalog()));
    serve = await startServe(
      ['--port', '0', '--data', join(work, 'data'), '--places', join(work, 'catalog.json'), '--log-format', 'json'],
      () => undefined,
    );
  });
  afterAll(async () => {
    await serve?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it(
    'uploads every image under the folder (subfolders too), skips hidden and non-image files, waits for each',
    { timeout: 120_000 },
    async () => {
      const dir = join(work, 'shoebox');
      await mkdir(join(dir, 'march'), { recursive: true });
      await mkdir(join(dir, '.cache'), { recursive: true });
      await writeFile(join(dir, 'a.png'), (await renderReceipt(receipts[0]!.spec)).png);
      await writeFile(join(dir, 'march', 'b.png'), (await renderReceipt(receipts[1]!.spec)).png);
      await writeFile(join(dir, 'notes.txt'), 'not a receipt at all');
      await writeFile(join(dir, '.DS_Store'), 'hidden');
      await writeFile(join(dir, '.cache', 'c.png'), (await renderReceipt(receipts[1]!.spec)).png);

      const out: string[] = [];
      const err: string[] = [];
      const bar: string[] = [];
      const code = await submitCommand(
        [dir, '--url', serve.url],
        (l) => out.push(l),
        (l) => err.push(l),
        new ProgressBar((t) => bar.push(t), false),
      );
      expect(code, err.join('\n')).toBe(0);
      const results = out.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(results).toEqual([
        expect.objectContaining({
          file: join(dir, 'a.png'),
          stage: 'compacted',
          place_id: receipts[0]!.truth.place_id,
        }),
        expect.objectContaining({
          file: join(dir, 'march', 'b.png'),
          stage: 'compacted',
          place_id: receipts[1]!.truth.place_id,
        }),
      ]);
      expect(err).toEqual([expect.stringMatching(/^skipped .*notes\.txt: /), 'skipped 1 file(s) that are not images']);
      // One bar: its last state says every file is done.
      expect(bar.at(-1)).toBe(`${render({ total: 2, uploaded: 2, duplicates: 0, done: 2, failed: 0 })}\n`);
    },
  );
});
