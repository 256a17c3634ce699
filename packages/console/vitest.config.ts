import { defineProject } from 'vitest/config';

// Real-browser tests: Debian's chromium driven by playwright-core against a real `receipts serve`
// child process with tesseract OCR. Generous timeouts: 2 cores are shared with the other projects.
export default defineProject({
  test: {
    name: 'console',
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
