import { demoReceipts, renderReceipt } from '@receiptflow/adapters-local/synthetic';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { expectNoProblems, openConsole } from './support/page.js';
import { startConsoleServer, uploadSynthetic, waitForStage, type ConsoleServer } from './support/serve.js';

// Issue 16's browser scenarios 1, 2, 3 and 5 (4, the DLQ, is in pipeline.browser.test.ts):
// Debian's chromium, a real `receipts serve` child with tesseract OCR, synthetic receipts.

/** The page's DataTransfer, used inside page.evaluate (this file is typed for node, not the DOM). */
declare const DataTransfer: new () => { items: { add(file: File): void } };

let server: ConsoleServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startConsoleServer(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('sign-in (scenario 5)', () => {
  it('without a token the console shows the sign-in prompt, not the receipts', async () => {
    const c = await openConsole(browser, server);
    try {
      await c.page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await c.page.getByRole('alert').first().textContent()).toContain('needs an API token');
      expect(await c.page.getByRole('heading', { name: 'Receipts', exact: true }).count()).toBe(0);
      expectNoProblems(c);
    } finally {
      await c.close();
    }
  });

  it('a wrong token gets the same prompt again, saying it was not accepted; the right one opens the receipts', async () => {
    const c = await openConsole(browser, server);
    try {
      await c.page.getByLabel('API token').fill('not-the-token');
      await c.page.getByRole('button', { name: 'Sign in' }).click();
      await c.page.getByText('The server did not accept this token.').waitFor();
      expect(await c.page.getByRole('heading', { name: 'Sign in' }).count()).toBe(1);
      // The wrong token was kept only in this tab; the right one replaces it.
      await c.page.getByLabel('API token').fill(server.token);
      await c.page.getByRole('button', { name: 'Sign in' }).click();
      await c.page.getByRole('heading', { name: 'Receipts', exact: true }).waitFor();
      expect(await c.page.evaluate("sessionStorage.getItem('receiptflow.token')")).toBe(server.token);
      expectNoProblems(c);
    } finally {
      await c.close();
    }
  });
});

describe('receipts in a real browser (scenarios 1, 2, 3)', () => {
  const RECEIPTS = demoReceipts();
  /** Two receipts of different merchants, uploaded through the API before the page opens. */
  const seeded: { imageId: string; merchant: string; placeId: string }[] = [];

  beforeAll(async () => {
    for (const receipt of RECEIPTS.slice(0, 2)) {
      seeded.push({
        imageId: await uploadSynthetic(server, receipt),
        merchant: receipt.truth.merchant_name,
        placeId: receipt.truth.place_id,
      });
    }
    for (const s of seeded) expect((await waitForStage(server, s.imageId)).stage).toBe('compacted');
  });

  it('drops three files: two receipts reach "compacted", the one that is not an image shows the server’s message', async () => {
    const files = [
      { name: 'lunch.png', type: 'image/png', bytes: (await renderReceipt(RECEIPTS[2]!.spec)).png },
      { name: 'dinner.png', type: 'image/png', bytes: (await renderReceipt(RECEIPTS[3]!.spec)).png },
      { name: 'notes.png', type: 'image/png', bytes: new TextEncoder().encode('shopping list: milk, eggs\n') },
    ];
    // What the server says about the third file, asked directly: the page must show exactly that.
    const refused = await server.api<{ error: { message: string } }>(
      'POST',
      '/upload-receipt?filename=notes.png',
      files[2]!.bytes,
      'image/png',
    );
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const c = await openConsole(browser, server, { token: server.token });
    try {
      const dataTransfer = await c.page.evaluateHandle(
        (list: { name: string; type: string; base64: string }[]) => {
          const dt = new DataTransfer();
          for (const f of list) {
            const bytes = Uint8Array.from(atob(f.base64), (ch) => ch.charCodeAt(0));
            dt.items.add(new File([bytes], f.name, { type: f.type }));
          }
          return dt;
        },
        files.map((f) => ({ name: f.name, type: f.type, base64: Buffer.from(f.bytes).toString('base64') })),
      );
      const zone = c.page.getByTestId('dropzone');
      await zone.dispatchEvent('dragover', { dataTransfer });
      await zone.dispatchEvent('drop', { dataTransfer });
      const row = (name: string) => c.page.locator(`li.upload-item[data-file="${name}"]`);
      await row('notes.png').and(c.page.locator('[data-phase="failed"]')).waitFor({ timeout: 60_000 });
      expect(await row('notes.png').locator('.upload-message').textContent()).toBe(refused.body.error.message);
      for (const name of ['lunch.png', 'dinner.png']) {
        await row(name).and(c.page.locator('[data-phase="compacted"]')).waitFor({ timeout: 120_000 });
        expect(await row(name).locator('.phase').textContent()).toBe('compacted');
      }
      // Each row showed its own progress bar, complete by now.
      expect(await row('lunch.png').locator('progress').getAttribute('value')).toBe('1');
      expectNoProblems(c);
    } finally {
      await c.close();
    }
  });

  it('draws each word box where the stored geometry says, at any zoom', async () => {
    const target = seeded[0]!;
    const view = await server.api<{
      words: {
        line_id: number;
        word_id: number;
        text: string;
        bounding_box: { x: number; y: number; width: number; height: number };
      }[];
      receipt: { region?: { width: number; height: number; angle_degrees: number } };
    }>('GET', `/receipts/${target.imageId}/1`);
    expect(view.status).toBe(200);
    // A synthetic PNG is a native image holding one receipt: its frame is the whole image.
    expect(view.body.receipt.region?.angle_degrees ?? 0).toBe(0);
    const words = view.body.words;
    expect(words.length).toBeGreaterThan(10);
    const c = await openConsole(browser, server, { token: server.token, hash: `#/receipts/${target.imageId}/1` });
    try {
      await c.page.locator('svg[data-testid="boxes"] polygon.word').first().waitFor();
      for (const zoom of ['fit', 'in'] as const) {
        if (zoom === 'in') await c.page.getByRole('button', { name: 'Zoom in' }).click();
        const image = (await c.page.locator('.image-stage img').boundingBox())!;
        const sample = [words[0]!, words[Math.floor(words.length / 2)]!, words[words.length - 1]!];
        for (const w of sample) {
          const box = (await c.page.locator(`polygon[data-word="${w.line_id}.${w.word_id}"]`).boundingBox())!;
          // Normalised, origin bottom-left → page pixels, origin top-left.
          const expected = {
            x: image.x + w.bounding_box.x * image.width,
            y: image.y + (1 - w.bounding_box.y - w.bounding_box.height) * image.height,
            width: w.bounding_box.width * image.width,
            height: w.bounding_box.height * image.height,
          };
          // Centres match to a pixel; sizes up to the drawn stroke (the page's box of an SVG shape
          // includes its outline, 1-2 px each side).
          const where = `${w.text} at zoom ${zoom}: ${JSON.stringify({ box, expected })}`;
          expect(Math.abs(box.x + box.width / 2 - (expected.x + expected.width / 2)), where).toBeLessThan(1.5);
          expect(Math.abs(box.y + box.height / 2 - (expected.y + expected.height / 2)), where).toBeLessThan(1.5);
          expect(Math.abs(box.width - expected.width), where).toBeLessThan(5);
          expect(Math.abs(box.height - expected.height), where).toBeLessThan(5);
        }
      }
      // Hovering the total highlights the words of the line it was read from.
      await c.page.locator('[data-field="total"]').hover();
      expect(await c.page.locator('polygon.word.highlight').count()).toBeGreaterThan(0);
      expectNoProblems(c);
    } finally {
      await c.close();
    }
  });

  it('corrects the merchant to another of the owner’s merchants, and the table shows it', async () => {
    const [target, other] = seeded as [(typeof seeded)[0], (typeof seeded)[0]];
    const c = await openConsole(browser, server, { token: server.token, hash: `#/receipts/${target.imageId}/1` });
    try {
      await c.page.getByTestId('merchant-name').waitFor();
      expect(await c.page.getByTestId('merchant-name').textContent()).toBe(target.merchant);
      await c.page.getByRole('button', { name: 'Correct the merchant' }).click();
      await c.page
        .getByLabel('One of your merchants')
        .locator(`option[value="${other.placeId}"]`)
        .waitFor({ state: 'attached' });
      await c.page.getByLabel('One of your merchants').selectOption(other.placeId);
      await c.page.getByRole('button', { name: 'Save merchant' }).click();
      await c.page.getByTestId('merchant-source').filter({ hasText: 'user' }).waitFor();
      expect(await c.page.getByTestId('merchant-name').textContent()).toBe(other.merchant);

      await c.page.getByRole('link', { name: '← All receipts' }).click();
      const row = c.page.locator(`tr[data-receipt="${target.imageId}/1"]`);
      await row.waitFor();
      expect(await row.locator('.merchant-cell a').textContent()).toBe(other.merchant);
      expect(await row.locator('td').nth(4).textContent()).toBe('user');
      expectNoProblems(c);
    } finally {
      await c.close();
    }
  });
});
