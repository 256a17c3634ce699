import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's chromium may be; `CHROMIUM_PATH` first. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * The chromium binary to drive. Playwright's own browser download cannot run here, so the tests
 * use Debian's package (`apt-get install -y chromium`, which `.ci/run` does when it is missing).
 * A machine without it fails the browser tests with this message: they are never skipped.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, ...CANDIDATES].filter((p): p is string => Boolean(p));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next
    }
  }
  throw new Error(
    `no chromium found (tried ${candidates.join(', ')}): install Debian's package as root ` +
      '(`apt-get update && apt-get install -y chromium`; .ci/run does this) or set CHROMIUM_PATH',
  );
}

/**
 * Headless chromium. `--no-sandbox` because CI runs as root (chromium refuses its sandbox
 * there); the pages it opens are the console on 127.0.0.1 only.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    timeout: 60_000,
  });
}
