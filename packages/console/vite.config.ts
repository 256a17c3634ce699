// `pnpm --filter @receiptflow/console exec vite` serves the console with reload while editing;
// the API is proxied to a `receipts serve` on :8787. Builds go through node/build.ts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { consoleViteConfig } from './node/vite-config.js';

const api = 'http://127.0.0.1:8787';
const API_PREFIXES = ['/receipts', '/merchants', '/export', '/images', '/uploads', '/upload-', '/pipeline', '/places'];

export default defineConfig({
  ...consoleViteConfig(fileURLToPath(new URL('.', import.meta.url))),
  server: { proxy: Object.fromEntries(API_PREFIXES.map((p) => [p, api])) },
});
