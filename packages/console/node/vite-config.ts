import type { InlineConfig } from 'vite';

/**
 * The console's Vite configuration, shared by `vite.config.ts` (the `vite` CLI, for a dev server
 * with reload) and {@link buildConsole} (which passes it inline, so no config file is bundled to a
 * temporary file next to the sources while several servers may build at once).
 */
export function consoleViteConfig(root: string): InlineConfig {
  return {
    root,
    configFile: false,
    logLevel: 'warn',
    // Relative URLs: the same build works at `/` (receipts serve) and under a path prefix
    // (an API Gateway stage or a bucket folder, docs/deploy.md).
    base: './',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      target: 'es2022',
      // Never inline assets as data: URIs, so the Content-Security-Policy can stay at 'self'.
      assetsInlineLimit: 0,
      // No module-preload polyfill: it would be the one piece of script not from the bundle's
      // files; every browser the console supports preloads modules natively.
      modulePreload: { polyfill: false },
      sourcemap: false,
      reportCompressedSize: false,
    },
  };
}
