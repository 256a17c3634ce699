import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type ServeHandle } from '@receiptflow/handlers/cli';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { expectNoProblems, openConsole } from './support/page.js';
import type { ConsoleServer } from './support/serve.js';

// Issue 16's browser scenario 4: a poison message in the DLQ, seen in the Pipeline view with its
// error, then redriven from there. `receipts serve` runs in this process (startServe, the same
// code as the CLI) so the test can put the malformed message on ocr-queue, as a broken producer
// would; the real OCR worker then dead-letters it with its reason.

const TOKEN = `pipeline-test-${process.pid}`;
let serve: ServeHandle;
let browser: Browser;
let work: string;

interface DeadLetter {
  message_id: string;
  error: string;
  body_preview: string;
}

async function deadLetters(): Promise<DeadLetter[]> {
  const res = await fetch(`${serve.url}/pipeline/dlq/ocr`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: DeadLetter[] }).messages;
}

/** Polls the DLQ (through the API) until `accept` holds; the worker polls its queue each second. */
async function waitForDeadLetters(accept: (m: DeadLetter[]) => boolean, ms = 60_000): Promise<DeadLetter[]> {
  const until = Date.now() + ms;
  for (;;) {
    const messages = await deadLetters();
    if (accept(messages)) return messages;
    if (Date.now() > until) throw new Error(`DLQ not as expected in ${ms} ms: ${JSON.stringify(messages)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'console-pipeline-'));
  [serve, browser] = await Promise.all([
    startServe(
      ['--port', '0', '--data', join(work, 'data'), '--token', TOKEN, '--log-format', 'json'],
      () => undefined,
      { buildConsoleEagerly: true },
    ),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the Pipeline view (scenario 4)', () => {
  it('shows a poison message in the ocr DLQ with its error, and redrives it without a reload', async () => {
    await serve.runtime.adapters.ocrQueue.send('poison: not a job message');
    const [poison] = await waitForDeadLetters((m) => m.length === 1);
    expect(poison!.error).toMatch(/not JSON/);

    const server = { url: serve.url } as ConsoleServer;
    const c = await openConsole(browser, server, { token: TOKEN, hash: '#/pipeline' });
    try {
      const { page } = c;
      await page.getByRole('heading', { name: 'Pipeline', exact: true }).waitFor();
      const row = page.locator(`[data-dlq="ocr"] tr[data-message-id="${poison!.message_id}"]`);
      await row.waitFor();
      expect(await row.locator('.dlq-error').textContent()).toBe(poison!.error);
      expect(await row.locator('.body-preview').textContent()).toBe('poison: not a job message');
      expect(await page.locator('tr[data-queue="ocr"] td[data-dlq-depth]').textContent()).toBe('1');
      expect(await page.locator('td[data-status="COMPLETED"]').textContent()).toBe('0');
      // Marks this document: a reload would lose it.
      await page.evaluate('window.__sameDocument = true');

      await page.getByRole('button', { name: `Redrive message ${poison!.message_id}` }).click();
      await page.getByRole('status').filter({ hasText: 'Redriven 1 message from the ocr DLQ.' }).waitFor();
      await row.waitFor({ state: 'detached' });

      // Its cause is not fixed: the worker dead-letters it again, and the view shows it, live.
      const [again] = await waitForDeadLetters((m) => m.length === 1 && m[0]!.message_id !== poison!.message_id);
      await page.locator(`[data-dlq="ocr"] tr[data-message-id="${again!.message_id}"]`).waitFor();
      expect(await page.evaluate('window.__sameDocument')).toBe(true);

      // Redrive all, then stop the loop: the redriven copy is dead-lettered once more at most.
      await page.getByRole('button', { name: 'Redrive all (1) from ocr' }).click();
      await page.getByRole('status').filter({ hasText: 'Redriven 1 message' }).waitFor();
      expectNoProblems(c);
    } finally {
      await c.close();
    }
  });
});
