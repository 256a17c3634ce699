// An esbuild plugin for scripts/build.mjs: lets the AWS SDK clients' operation schemas tree-shake.
//
// Each SDK v3 client describes every operation and shape of its service in
// `dist-es/schemas/schemas_0.js`: `export var GetObject$ = [9, n0, _GO, { [_h]: ["GET", ...] }, ...]`,
// where `_h` is `const _h = "http"` in the same file. A computed key (`[_h]:`) may call a
// `toString` when evaluated, as far as esbuild can tell, so esbuild keeps every such declaration
// whether or not anything uses it: every function holding S3's client compiled and evaluated the
// schemas of all ~100 S3 operations (65 KB minified) to call three of them. Written as the string
// literal the constant holds (`"http":`), the key is plainly side-effect free, and esbuild drops the
// schemas of the operations the bundle never sends (docs/benchmarks.md, P5, session 12). The
// objects built are the same: `{ [_h]: x }` and `{ "http": x }` are one object when `_h` is the
// constant "http".

import { readFile } from 'node:fs/promises';

/** The SDK clients' schema files (`@aws-sdk/client-<service>/dist-es/schemas/schemas_<n>.js`). */
export const SDK_SCHEMA_FILE = /@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

/**
 * `text` with every computed key `[_name]:` whose name is a top-level `const _name = "..."` of
 * the file written as that string literal. A file that declares any function taking parameters
 * (where a parameter could shadow a constant) is returned unchanged: the SDK's schema files hold
 * only data and parameterless thunks (`() => GetObjectRequest$`), and a file that stops being
 * that is left to esbuild as it is rather than rewritten on a guess.
 *
 * @example
 * literalSchemaKeys('const _h = "http";\nexport var X$ = [9, n0, _X, { [_h]: ["GET", "/", 200] }];')
 * // 'const _h = "http";\nexport var X$ = [9, n0, _X, { "http": ["GET", "/", 200] }];'
 */
export function literalSchemaKeys(text) {
  if (/\bfunction\b|\([^()]+\)\s*=>|[\w$]+\s*=>/.test(text)) return text;
  // Each name declared once in the file (no `let`/`var` of the same name), so its value is the literal.
  const declarations = new Map();
  for (const m of text.matchAll(/\b(?:const|let|var)\s+(_\w+)\b/g))
    declarations.set(m[1], (declarations.get(m[1]) ?? 0) + 1);
  const constants = new Map();
  for (const m of text.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm))
    if (declarations.get(m[1]) === 1) constants.set(m[1], m[2]);
  return text.replace(/\[(_\w+)\]:/g, (key, name) => (constants.has(name) ? `${constants.get(name)}:` : key));
}

export const sdkSchemaLiteralKeys = {
  name: 'sdk-schema-literal-keys',
  setup(b) {
    b.onLoad({ filter: SDK_SCHEMA_FILE }, async (args) => ({
      contents: literalSchemaKeys(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};
