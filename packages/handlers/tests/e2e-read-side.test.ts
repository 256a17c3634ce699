import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { demoReceipts, renderReceipt, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { lineVectorId, type OcrResultsMessage } from '@receiptflow/core';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCommand } from '../src/cli/commands/export.js';
import { fixCommand } from '../src/cli/commands/fix.js';
import { listCommand } from '../src/cli/commands/list.js';
import { rmCommand } from '../src/cli/commands/rm.js';
import { showCommand } from '../src/cli/commands/show.js';
import { startServe, type ServeHandle } from '../src/cli/commands/serve.js';
import { submitCommand } from '../src/cli/commands/submit.js';
import { ProgressBar } from '../src/cli/progress-bar.js';

// The read side of issue 15 end to end (its Tests, the six steps and owner isolation), on
// `receipts serve` (local adapters, real tesseract, real HTTP) and the `receipts` commands, over
// three synthetic receipts whose merchant, date and total are known.
// Steps run in order and share the server: ~20 s of OCR, then corrections waiting on compaction.

const [HARBOR, KETTLE, SUNRISE] = demoReceipts(1) as [
  ReturnType<typeof demoReceipts>[number],
  ReturnType<typeof demoReceipts>[number],
  ReturnType<typeof demoReceipts>[number],
];
const TRUTH = [HARBOR, KETTLE, SUNRISE];
/** "04/18/2024" → "2024-04-18" (the demo receipts print US dates). */
const iso = (us: string) => `${us.slice(6)}-${us.slice(0, 2)}-${us.slice(3, 5)}`;
const quiet = () => undefined;

let work: string;
let folder: string;
let serve: ServeHandle;
/** image_id of each truth receipt, by place_id. */
const imageOf = new Map<string, string>();

function args(...extra: string[]): string[] {
  return [...extra, '--url', serve.url, '--token', 'tok-alice'];
}

async function lines(command: (out: (l: string) => void) => Promise<number>): Promise<string[]> {
  const out: string[] = [];
  expect(await command((l) => out.push(l))).toBe(0);
  return out;
}

async function listJson(...filters: string[]): Promise<Record<string, unknown>[]> {
  const out = await lines((o) => listCommand(args(...filters, '--json'), o, quiet));
  return out.map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function api(method: string, path: string, token = 'tok-alice') {
  // A PATCH carries a valid correction, so that a 404 is about the receipt, not the body.
  const body = method === 'PATCH' ? JSON.stringify({ fields: { date: '2024-01-01' } }) : undefined;
  const res = await fetch(new URL(path, serve.url), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body } : {}),
    redirect: 'manual',
  });
  return { status: res.status, text: await res.text() };
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'receipts-read-side-'));
  await writeFile(join(work, 'catalog.json'), JSON.stringify(syntheticCatalog()));
  folder = join(work, 'shoebox');
  await mkdir(join(folder, 'april'), { recursive: true });
  await writeFile(join(folder, 'april', 'harbor.png'), (await renderReceipt(HARBOR.spec)).png);
  await writeFile(join(folder, 'kettle.png'), (await renderReceipt(KETTLE.spec)).png);
  await writeFile(join(folder, 'sunrise.png'), (await renderReceipt(SUNRISE.spec)).png);
  // The same photo twice in the folder (harbor_copy.png comes after harbor.png): the second
  // upload is answered duplicate: true.
  await copyFile(join(folder, 'april', 'harbor.png'), join(folder, 'april', 'harbor_copy.png'));
  serve = await startServe(
    [
      ...['--port', '0', '--data', join(work, 'data'), '--places', join(work, 'catalog.json')],
      ...['--token', 'tok-alice', '--owner', 'alice', '--log-format', 'json'],
    ],
    quiet,
  );
});

afterAll(async () => {
  await serve?.stop();
  await rm(work, { recursive: true, force: true });
});

describe('the read side end to end (receipts serve, real tesseract, known truth)', () => {
  it(
    '1 (and 5). submit DIR: every receipt compacted with its merchant; the same bytes again are duplicate: true, not reprocessed',
    { timeout: 180_000 },
    async () => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await submitCommand(
        args(folder),
        (l) => out.push(l),
        (l) => err.push(l),
        new ProgressBar(quiet, false),
      );
      expect(code, err.join('\n')).toBe(0);
      const results = out.map((l) => JSON.parse(l) as Record<string, unknown>);
      const byFile = (name: string) => results.find((r) => String(r.file).endsWith(name))!;
      expect(byFile('harbor.png')).toMatchObject({ stage: 'compacted', place_id: HARBOR.truth.place_id });
      expect(byFile('harbor.png').duplicate).toBeUndefined();
      expect(byFile('harbor_copy.png')).toMatchObject({ duplicate: true, image_id: byFile('harbor.png').image_id });
      expect(byFile('kettle.png')).toMatchObject({ stage: 'compacted', place_id: KETTLE.truth.place_id });
      expect(byFile('sunrise.png')).toMatchObject({ stage: 'compacted', place_id: SUNRISE.truth.place_id });
      for (const [t, file] of [
        [HARBOR, 'harbor.png'],
        [KETTLE, 'kettle.png'],
        [SUNRISE, 'sunrise.png'],
      ] as const)
        imageOf.set(t.truth.place_id, String(byFile(file).image_id));

      // The same bytes once more, over HTTP: the existing image, no new work.
      const { png } = await renderReceipt(HARBOR.spec);
      const again = await fetch(new URL('/upload-receipt?filename=again.png', serve.url), {
        method: 'POST',
        headers: { authorization: 'Bearer tok-alice', 'content-type': 'image/png' },
        body: png,
      });
      expect(await again.json()).toMatchObject({ image_id: imageOf.get(HARBOR.truth.place_id), duplicate: true });
    },
  );

  it('2. list, filter and show: the fields read are the ones printed', { timeout: 60_000 }, async () => {
    const all = await listJson();
    // Three receipts (the duplicate made none), newest date first.
    expect(all.map((r) => r.date)).toEqual(
      TRUTH.map((t) => iso(t.truth.date))
        .sort()
        .reverse(),
    );
    for (const t of TRUTH) {
      const listed = all.find((r) => r.image_id === imageOf.get(t.truth.place_id));
      expect(listed, t.id).toMatchObject({
        receipt_id: 1,
        date: iso(t.truth.date),
        total: { amount_minor: Math.round(t.truth.total * 100), currency: 'USD' },
        merchant: { place_id: t.truth.place_id },
      });
    }
    const ids = (rs: Record<string, unknown>[]) => rs.map((r) => r.image_id);
    expect(ids(await listJson('--merchant', KETTLE.truth.place_id))).toEqual([imageOf.get(KETTLE.truth.place_id)]);
    // HARBOR 2024-04-18, KETTLE 2024-02-12, SUNRISE 2024-10-09.
    expect(ids(await listJson('--from', '2024-02-01', '--to', '2024-04-30'))).toEqual([
      imageOf.get(HARBOR.truth.place_id),
      imageOf.get(KETTLE.truth.place_id),
    ]);
    expect(ids(await listJson('--min', '10', '--max', '15'))).toEqual([imageOf.get(KETTLE.truth.place_id)]);
    expect(ids(await listJson('--text', 'toothpaste'))).toEqual([imageOf.get(SUNRISE.truth.place_id)]);

    const table = await lines((o) => listCommand(args(), o, quiet));
    expect(table[0]).toMatch(/^ID\s+DATE\s+TOTAL\s+MERCHANT$/);
    expect(table[1]).toContain(`${imageOf.get(SUNRISE.truth.place_id)}/1`);
    expect(table[1]).toContain(`${SUNRISE.truth.total.toFixed(2)} USD`);

    const shown = JSON.parse(
      (await lines((o) => showCommand(args(imageOf.get(KETTLE.truth.place_id)!, '--json'), o))).join('\n'),
    ) as {
      receipt: { fields: Record<string, { value?: string; minor?: number }> };
      lines: unknown[];
      words: unknown[];
    };
    expect(shown.receipt.fields.date?.value).toBe(iso(KETTLE.truth.date));
    expect(shown.receipt.fields.total?.minor).toBe(Math.round(KETTLE.truth.total * 100));
    expect(shown.lines.length).toBeGreaterThan(3);
    expect(shown.words.length).toBeGreaterThan(shown.lines.length);
    const text = (await lines((o) => showCommand(args(`${imageOf.get(KETTLE.truth.place_id)}/1`), o))).join('\n');
    expect(text).toContain(`merchant   ${KETTLE.truth.merchant_name}`);
    expect(text).toContain(`total      ${KETTLE.truth.total.toFixed(2)} USD`);
    expect(text).toMatch(/CHAI TEA/);
  });

  it(
    "3. fix the merchant: the vectors' metadata follows; fix a field: kept as the user's",
    { timeout: 120_000 },
    async () => {
      const image = imageOf.get(SUNRISE.truth.place_id)!;
      // Say the person knows the pharmacy receipt is from the grocery (a place a receipt was resolved to).
      const target = HARBOR.truth.place_id;
      const fix = [
        ...['--merchant', target, '--field', 'total=7.00', '--field', 'tax=0.56', '--field', 'payment_method=card'],
        ...['--item', '2 x Toothpaste=7.00'],
      ];
      await lines((o) => fixCommand(args(image, ...fix), o));
      const vectors = serve.runtime.adapters.vectors;
      const metadata = await until(
        'the line vectors of the corrected receipt',
        async () => (await vectors.get('lines', [lineVectorId(image, 1, 1)]))[0]?.metadata,
        (m) => m?.place_id === target,
      );
      expect(metadata).toMatchObject({ place_id: target, merchant_name: HARBOR.truth.merchant_name });
      const [listed] = await listJson('--merchant', target, '--max', '7');
      expect(listed).toMatchObject({
        image_id: image,
        total: { amount_minor: 700, currency: 'USD' },
        tax: { amount_minor: 56, currency: 'USD' },
        payment_method: 'card',
        merchant: { place_id: target, source: 'user' },
      });
      const shown = (await lines((o) => showCommand(args(image), o))).join('\n');
      expect(shown).toMatch(/total\s+7\.00 USD {2}\(corrected\)/);
      expect(shown).toMatch(/items\n {2}2 x Toothpaste {2}7\.00 {2}\(corrected\)\n\nlines/);
    },
  );

  it(
    '4. rm: the receipt and its vectors go, and a redelivered OCR message does not bring it back',
    { timeout: 120_000 },
    async () => {
      const image = imageOf.get(KETTLE.truth.place_id)!;
      const { jobs, resultsQueue } = serve.runtime.adapters;
      const [job] = await jobs.listJobsForImage(image);
      const routing = await jobs.getRoutingDecision(job!.job_id);
      const message: OcrResultsMessage = {
        job_id: job!.job_id,
        image_id: image,
        s3_bucket: routing!.ocr_s3_bucket,
        s3_key: routing!.ocr_s3_key,
        receipt_count: routing!.receipt_count,
      };
      expect(await lines((o) => rmCommand(args(`${image}/1`), o))).toEqual([`deleted ${image}/1`]);
      expect((await api('GET', `/receipts/${image}/1`)).status).toBe(404);
      await until(
        "the deleted receipt's line vectors",
        () => serve.runtime.adapters.vectors.findIds('lines', { image_id: image }),
        (ids) => ids.length === 0,
      );

      await resultsQueue.send(JSON.stringify(message));
      // Handled (acked, retried or dead-lettered): nothing visible or in flight any more.
      await until(
        'the redelivered message',
        () => resultsQueue.depth(),
        (d) => d.visible === 0 && d.inFlight === 0,
      );
      expect((await api('GET', `/receipts/${image}/1`)).status).toBe(404);
      expect((await listJson()).map((r) => r.image_id)).not.toContain(image);
      expect(await serve.runtime.adapters.receipts.get(image, 1)).toBeNull();
    },
  );

  it(
    '6. export CSV, parsed back: one row per receipt, as listed, corrections included',
    { timeout: 60_000 },
    async () => {
      const sink = new PassThrough();
      const chunks: Buffer[] = [];
      sink.on('data', (c: Buffer) => chunks.push(c));
      expect(await exportCommand(args('--format', 'csv'), sink)).toBe(0);
      const rows = parse(Buffer.concat(chunks).toString('utf8'), { columns: true }) as Record<string, string>[];
      const listed = await listJson();
      expect(rows.map((r) => `${r.image_id}/${r.receipt_id}`)).toEqual(
        listed.map((r) => `${r.image_id}/${r.receipt_id}`),
      );
      const harbor = rows.find((r) => r.image_id === imageOf.get(HARBOR.truth.place_id))!;
      expect(harbor).toMatchObject({
        date: iso(HARBOR.truth.date),
        merchant: HARBOR.truth.merchant_name,
        place_id: HARBOR.truth.place_id,
        total: HARBOR.truth.total.toFixed(2),
        currency: 'USD',
      });
      expect(rows.find((r) => r.image_id === imageOf.get(SUNRISE.truth.place_id))).toMatchObject({
        place_id: HARBOR.truth.place_id,
        merchant_source: 'user',
        total: '7.00',
        subtotal: '',
        tax: '0.56',
        currency: 'USD',
        payment_method: 'card',
      });
    },
  );

  it(
    "owner isolation: bob lists nothing, and reads, changes or fetches none of alice's receipts (404)",
    { timeout: 90_000 },
    async () => {
      const data = join(work, 'data');
      await serve.stop();
      // The same data folder, served for bob.
      serve = await startServe(
        [
          ...['--port', '0', '--data', data, '--places', join(work, 'catalog.json')],
          ...['--token', 'tok-bob', '--owner', 'bob', '--log-format', 'json'],
        ],
        quiet,
      );
      const bob = (...extra: string[]) => [...extra, '--url', serve.url, '--token', 'tok-bob'];
      const image = imageOf.get(HARBOR.truth.place_id)!;
      expect(await lines((o) => listCommand(bob('--json'), o, quiet))).toEqual([]);
      for (const [method, path] of [
        ['GET', `/receipts/${image}/1`],
        ['PATCH', `/receipts/${image}/1`],
        ['DELETE', `/receipts/${image}/1`],
        ['GET', `/receipts/${image}/1/similar`],
        ['GET', `/images/${image}`],
      ] as const) {
        const res = await api(method, path, 'tok-bob');
        expect(res.status, `${method} ${path}: ${res.text}`).toBe(404);
      }
      expect(JSON.parse((await api('GET', '/merchants', 'tok-bob')).text)).toEqual({ merchants: [] });
      await expect(showCommand(bob(image), quiet)).rejects.toThrow(/HTTP 404/);
      await expect(fixCommand(bob(image, '--field', 'date=2024-01-01'), quiet)).rejects.toThrow(/HTTP 404/);
      await expect(rmCommand(bob(image), quiet)).rejects.toThrow(/HTTP 404/);
      const sink = new PassThrough();
      const chunks: Buffer[] = [];
      sink.on('data', (c: Buffer) => chunks.push(c));
      expect(await exportCommand(bob('--format', 'csv'), sink)).toBe(0);
      expect(parse(Buffer.concat(chunks).toString('utf8'), { columns: true })).toEqual([]);
      // Alice's receipt is still there for alice.
      expect(await serve.runtime.adapters.receipts.get(image, 1)).not.toBeNull();
    },
  );
});
