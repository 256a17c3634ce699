import { expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ConsoleServer } from './serve.js';

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Script errors and Content-Security-Policy violations the page reported. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * A fresh browser context (empty sessionStorage) on the console, signed in with `token` through
 * the sign-in prompt when one is given. Page errors and CSP violations are collected: a test ends
 * with {@link expectNoProblems}.
 */
export async function openConsole(
  browser: Browser,
  server: ConsoleServer,
  options: { token?: string; hash?: string; viewport?: { width: number; height: number } } = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`csp: ${message.text()}`);
  });
  await page.goto(`${server.url}/${options.hash ?? ''}`, { timeout: 90_000 });
  if (options.token !== undefined) {
    await page.getByLabel('API token').fill(options.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ state: 'detached' });
  }
  return { page, context, problems, close: () => context.close() };
}

export function expectNoProblems(c: ConsolePage): void {
  expect(c.problems).toEqual([]);
}
