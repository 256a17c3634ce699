import { project } from '../../vitest.project.js';

// Real-browser tests: Debian's chromium driven by playwright-core against a real `receipts serve`
// child process with tesseract OCR. Generous timeouts: 2 cores are shared with the other projects.
export default project('console', { testTimeout: 120_000, hookTimeout: 180_000 });
