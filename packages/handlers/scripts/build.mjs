// Bundles each Lambda entry (every file of src/lambda) into dist/<name>/ (index.mjs plus the
// chunks it loads on demand) and reports each function's bytes in dist/sizes.json.
//
//   node scripts/build.mjs [--sdk bundled|external] [--outdir DIR]
//
// `--sdk bundled` (the default, what is deployed) bundles the AWS SDK v3 clients, tree-shaken and
// minified; `--sdk external` leaves `@aws-sdk/*` and `@smithy/*` to the nodejs22.x runtime's copy.
// `pnpm bench` builds both and times their cold init side by side (docs/benchmarks.md, P5): the
// bundled SDK initialises two to three times faster, which is why it is the default.
import { build } from 'esbuild';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sdkSchemaLiteralKeys } from './sdk-schema-keys.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { sdk: { type: 'string', default: 'bundled' }, outdir: { type: 'string' } },
});
if (values.sdk !== 'bundled' && values.sdk !== 'external') {
  console.error(`--sdk takes bundled or external, got ${values.sdk}`);
  process.exit(2);
}
const dist = values.outdir ? resolve(values.outdir) : join(root, 'dist');

/** Every module of src/lambda is one function's entry; a new entry is built without editing this file. */
export const HANDLERS = (await readdir(join(root, 'src', 'lambda')))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const LIMIT_BYTES = 1.5 * 1024 * 1024;

// What the nodejs22.x runtime provides, left out by `--sdk external`.
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

/**
 * The SDK's default credential chain tries, in order: environment variables, SSO, the shared
 * config/credentials files (with its STS/SSO/sign-in clients, ~80 KB minified), a
 * `credential_process`, a web identity token file, then the container or instance metadata
 * endpoint. Lambda puts the execution role's keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
 * AWS_SESSION_TOKEN, so the first link answers; the file-based links have no file to read there
 * (no ~/.aws, no AWS_PROFILE, no AWS_WEB_IDENTITY_TOKEN_FILE) and would only pass to the next
 * link. In the bundled build they are replaced by a provider that passes at once, exactly as
 * they would have; environment and container/instance metadata stay the SDK's own code.
 */
const FILE_BASED_PROVIDERS = {
  '@aws-sdk/credential-provider-sso': 'fromSSO',
  '@aws-sdk/credential-provider-ini': 'fromIni',
  '@aws-sdk/credential-provider-process': 'fromProcess',
  '@aws-sdk/credential-provider-web-identity': 'fromTokenFile',
};
const noFileBasedCredentials = {
  name: 'no-file-based-credentials',
  setup(b) {
    const filter = new RegExp(`^(${Object.keys(FILE_BASED_PROVIDERS).join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.importer.includes('credential-provider-node')
        ? { path: args.path, namespace: 'no-file-credentials' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-file-credentials' }, (args) => ({
      contents: [
        `export const ${FILE_BASED_PROVIDERS[args.path]} = () => async () => {`,
        `  const error = new Error(${JSON.stringify(`${args.path} is not bundled: a Lambda function has no profile file to read`)});`,
        "  error.name = 'CredentialsProviderError';",
        '  error.tryNextLink = true;',
        '  throw error;',
        '};',
      ].join('\n'),
      resolveDir: root,
    }));
  },
};

/**
 * With splitting, esbuild writes a chunk for every import() it meets, also when the code holding
 * the import() was tree-shaken away (the SDK's browser user-agent parser, phone metadata in a
 * function that never resolves a merchant). Nothing can load such a chunk: it is deleted, so
 * the deployed folder holds only what index.mjs can reach through static or dynamic imports.
 */
async function pruneUnreachableChunks(metafile, outdir) {
  const outputs = metafile.outputs;
  // Output paths are relative to the working directory; chunks of import() targets have an
  // entryPoint too, so the function's entry is found by its file.
  const entry = Object.keys(outputs).find((o) => resolve(o) === join(outdir, 'index.mjs'));
  const reachable = new Set([entry]);
  const pending = [entry];
  while (pending.length > 0) {
    for (const imported of outputs[pending.pop()].imports) {
      if (imported.external || reachable.has(imported.path) || !(imported.path in outputs)) continue;
      reachable.add(imported.path);
      pending.push(imported.path);
    }
  }
  for (const output of Object.keys(outputs)) if (!reachable.has(output)) await rm(resolve(output));
}

const bundled = values.sdk === 'bundled';
await rm(dist, { recursive: true, force: true });
const sizes = {};
for (const name of HANDLERS) {
  const outdir = join(dist, name);
  await mkdir(outdir, { recursive: true });
  const { metafile } = await build({
    entryPoints: { index: join(root, 'src', 'lambda', `${name}.ts`) },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    // Code reached only through import() (pdf-lib on the first PDF, phone metadata on the first
    // phone lookup, the SDK's rarely used credential links) goes into chunks that init never reads.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // The SDK's ESM builds (`module`) tree-shake; their CommonJS builds do not.
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'none',
    external: bundled ? [] : RUNTIME_PROVIDED,
    // sdkSchemaLiteralKeys: the schemas of the SDK operations a function never sends tree-shake away.
    plugins: bundled ? [englishOnlyZod, noFileBasedCredentials, sdkSchemaLiteralKeys] : [englishOnlyZod],
    logLevel: 'warning',
    metafile: true,
    // Some CommonJS dependencies call require(); ESM bundles need it defined.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  await pruneUnreachableChunks(metafile, outdir);
  let bytes = 0;
  for (const file of await readdir(outdir)) bytes += (await stat(join(outdir, file))).size;
  // What the function leaves to the runtime to resolve (node built-ins; with `--sdk external`, the SDK).
  const imports = new Set();
  for (const output of Object.values(metafile.outputs))
    for (const imported of output.imports) if (imported.external) imports.add(imported.path);
  sizes[name] = { bytes, entry_bytes: (await stat(join(outdir, 'index.mjs'))).size, imports: [...imports].sort() };
}
await writeFile(join(dist, 'sizes.json'), JSON.stringify({ sdk: values.sdk, functions: sizes }, null, 2));
for (const [name, { bytes, entry_bytes }] of Object.entries(sizes)) {
  const flag = bytes > LIMIT_BYTES ? '  (over 1.5 MiB)' : '';
  const kib = (n) => `${(n / 1024).toFixed(1).padStart(8)} KiB`;
  console.log(`${name.padEnd(22)} ${kib(bytes)} (index.mjs ${kib(entry_bytes)})${flag}`);
}
