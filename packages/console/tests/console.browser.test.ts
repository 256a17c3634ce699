import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { expectNoProblems, openConsole } from './support/page.js';
import { startConsoleServer, type ConsoleServer } from './support/serve.js';

// Issue 16's browser scenarios 1, 2, 3 and 5 (4, the DLQ, is in pipeline.browser.test.ts):
// Debian's chromium, a real `receipts serve` child with tesseract OCR, synthetic receipts.

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
