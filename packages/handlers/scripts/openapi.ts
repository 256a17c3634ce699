/**
 * Writes docs/openapi.yaml from the code (`pnpm openapi`), or with `--check` exits 1 when the
 * committed file differs from what the code describes. The document itself is built by
 * src/http/openapi/document.ts; this only serialises it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { openApiYaml } from './openapi-yaml.js';

const target = fileURLToPath(new URL('../../../docs/openapi.yaml', import.meta.url));
const text = openApiYaml();
if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== text) {
    console.error('docs/openapi.yaml is out of date: run `pnpm openapi` and commit it');
    process.exit(1);
  }
  console.log('docs/openapi.yaml matches the code');
} else {
  await writeFile(target, text);
  console.log(`wrote ${target}`);
}
