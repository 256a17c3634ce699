import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoReceipts, renderReceipt, syntheticCatalog } from '@receiptflow/adapters-local/synthetic';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServe, type ServeHandle } from '../src/cli/commands/serve.js';
import { submitCommand } from '../src/cli/commands/submit.js';
import { run } from '../src/cli/main.js';
import { ProgressBar, render } from '../src/cli/progress-bar.js';
import { parseReceiptRef } from '../src/cli/receipts-api.js';
import { captureStderr } from './support/capture-stderr.js';

// `receipts submit DIR` runs real tesseract on two receipts (~3 s).

describe('receipts submit: usage mistakes', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // Port 9 (discard) on loopback: nothing listens, so a command that got past its flags would
  // fail with SERVER_UNREACHABLE (exit 1), not the usage error (exit 2) asserted here.
  const url = ['--url', 'http://127.0.0.1:9'];
  it.each([
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
