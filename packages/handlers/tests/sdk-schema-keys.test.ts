import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// scripts/sdk-schema-keys.mjs: the build rewrites the SDK clients' schema files so that the
// schemas of operations a function never sends tree-shake away (docs/benchmarks.md, P5,
// session 12). The rewrite must leave every schema the clients build exactly as it was.

const handlersDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const { literalSchemaKeys, sdkSchemaLiteralKeys } = (await import(
  pathToFileURL(join(handlersDir, 'scripts', 'sdk-schema-keys.mjs')).href
)) as { literalSchemaKeys: (text: string) => string; sdkSchemaLiteralKeys: Plugin };

describe('literalSchemaKeys', () => {
  it('writes a computed key naming a file-level string constant as that string', () => {
    const text = [
      'const _h = "http";',
      'const _e = "error";',
      'export var X$ = [9, n0, _X, { [_h]: ["GET", "/", 200], [_e]: _c }];',
    ].join('\n');
    expect(literalSchemaKeys(text)).toBe(
      [
        'const _h = "http";',
        'const _e = "error";',
        'export var X$ = [9, n0, _X, { "http": ["GET", "/", 200], "error": _c }];',
      ].join('\n'),
    );
  });

  it('leaves a key whose name is not a string constant of the file, or is declared twice', () => {
    const text = [
      'const _h = "http";',
      'var _h = other();',
      'const _n = 3;',
      'export var X$ = { [_h]: 1, [_n]: 2, [_q]: 3 };',
    ].join('\n');
    expect(literalSchemaKeys(text)).toBe(text);
  });

  it('leaves a file holding functions with parameters (one could shadow a constant) unchanged', () => {
    for (const fn of [
      'function f(_h) { return { [_h]: 1 }; }',
      'const f = (_h) => ({ [_h]: 1 });',
      'const f = _h => ({ [_h]: 1 });',
    ])
      expect(literalSchemaKeys(`const _h = "http";\n${fn}`)).toBe(`const _h = "http";\n${fn}`);
  });
});

describe('the SDK clients the functions bundle: every schema the same with and without the rewrite', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'receiptflow-schema-keys-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  /** Every export of a client's schema module, built with or without the plugin, as comparable text. */
  const schemasOf = async (client: string, plugins: Plugin[], name: string) => {
    // The package's entry (dist-cjs/index.js) sits beside dist-es; its schemas are in dist-es/schemas.
    const entry = createRequire(join(handlersDir, 'package.json')).resolve(client);
    const schemas = join(entry, '..', '..', 'dist-es', 'schemas', 'schemas_0.js');
    const out = join(scratch, `${name}.mjs`);
    const result = await build({
      stdin: { contents: `export * from ${JSON.stringify(schemas)};`, resolveDir: handlersDir, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      mainFields: ['module', 'main'],
      write: false,
      plugins,
      logLevel: 'silent',
    });
    await writeFile(out, result.outputFiles[0]!.text);
    const exported = (await import(pathToFileURL(out).href)) as Record<string, unknown>;
    // Functions (the schemas' `() => OtherShape$` thunks) by their source; the rest as JSON.
    const text = result.outputFiles[0]!.text;
    const exports = Object.fromEntries(
      Object.entries(exported).map(([key, value]) => [
        key,
        JSON.stringify(value, (_k, v: unknown) => (typeof v === 'function' ? `fn:${String(v)}` : v)),
      ]),
    );
    return { text, exports };
  };

  for (const client of ['@aws-sdk/client-s3', '@aws-sdk/client-dynamodb', '@aws-sdk/client-sqs']) {
    it(client, { timeout: 120_000 }, async () => {
      const name = client.replace(/\W/g, '_');
      const before = await schemasOf(client, [], `${name}-before`);
      const after = await schemasOf(client, [sdkSchemaLiteralKeys], `${name}-after`);
      expect(Object.keys(before.exports).length).toBeGreaterThan(50);
      expect(after.exports).toEqual(before.exports);
      // And the rewrite did apply: computed keys before, none after.
      expect(before.text).toMatch(/\[_\w+\]:/);
      expect(after.text).not.toMatch(/\[_\w+\]:/);
    });
  }
});
