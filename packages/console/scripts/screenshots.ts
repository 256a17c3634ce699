// Regenerates the screenshots in docs/console/ from the real console: a `receipts serve` child
// with tesseract OCR and synthetic receipts, driven by Debian's chromium, exactly as the browser
// tests do. `pnpm --filter @receiptflow/console run screenshots` (about a minute).
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { demoReceipts } from '@receiptflow/adapters-local/synthetic';
import { launchChromium } from '../tests/support/chromium.js';
import { openConsole } from '../tests/support/page.js';
import { startConsoleServer, uploadSynthetic, waitForStage } from '../tests/support/serve.js';

const OUT = fileURLToPath(new URL('../../../docs/console/', import.meta.url));

const server = await startConsoleServer();
const browser = await launchChromium();
try {
  await mkdir(OUT, { recursive: true });
  const ids: string[] = [];
  for (const receipt of demoReceipts().slice(0, 4)) {
    ids.push(await uploadSynthetic(server, receipt));
  }
  for (const id of ids) await waitForStage(server, id);

  const signIn = await openConsole(browser, server, { viewport: { width: 1280, height: 640 } });
  await signIn.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signIn.page.screenshot({ path: `${OUT}sign-in.png` });
  await signIn.close();

  const c = await openConsole(browser, server, { token: server.token });
  await c.page.locator('table.receipts tbody tr').first().waitFor();
  await c.page.screenshot({ path: `${OUT}receipts.png`, fullPage: true });

  await c.page.goto(`${server.url}/#/receipts/${ids[0]}/1`);
  await c.page.locator('svg[data-testid="boxes"] polygon.word').first().waitFor();
  await c.page.locator('[data-field="total"]').hover();
  await c.page.screenshot({ path: `${OUT}receipt.png`, fullPage: true });

  await c.page.goto(`${server.url}/#/pipeline`);
  await c.page.getByRole('heading', { name: 'Pipeline' }).waitFor();
  await c.page.waitForTimeout(1500); // its first poll
  await c.page.screenshot({ path: `${OUT}pipeline.png`, fullPage: true });
  await c.close();
  process.stdout.write(`screenshots written to ${OUT}\n`);
} finally {
  await browser.close();
  await server.stop();
}
