// Bundles each Lambda handler into one ESM file under dist/<name>/index.mjs and reports sizes.
import { build } from 'esbuild';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const HANDLERS = ['upload', 'authorizer', 'process-ocr-results', 'stream-processor', 'compaction', 'sweep'];
const LIMIT_BYTES = 1024 * 1024;

// The nodejs22.x runtime ships AWS SDK v3; bundling it again would add ~500 KB per function.
const RUNTIME_PROVIDED = ['@aws-sdk/*', '@smithy/*'];

/**
 * zod's classic entry re-exports every locale (~250 KB) as a namespace object, which no bundler
 * can tree-shake. Handlers only ever print English messages, so the locale index is replaced by
 * one that exports English alone.
 */
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /locales\/index\.js$/ }, (args) =>
      args.importer.includes('/zod/') ? { path: 'zod-locales', namespace: 'zod-en' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: root,
    }));
  },
};

await rm(join(root, 'dist'), { recursive: true, force: true });
const sizes = {};
for (const name of HANDLERS) {
  const outfile = join(root, 'dist', name, 'index.mjs');
  await mkdir(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(root, 'src', 'lambda', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    legalComments: 'none',
    external: RUNTIME_PROVIDED,
    plugins: [englishOnlyZod],
    logLevel: 'warning',
    // Some CommonJS dependencies call require(); ESM bundles need it defined.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  sizes[name] = (await stat(outfile)).size;
}
await writeFile(join(root, 'dist', 'sizes.json'), JSON.stringify(sizes, null, 2));
for (const [name, bytes] of Object.entries(sizes)) {
  const flag = bytes > LIMIT_BYTES ? '  (over 1 MB)' : '';
  console.log(`${name.padEnd(22)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB${flag}`);
}
