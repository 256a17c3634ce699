/**
 * The dependency rule of the hexagon (issue 13, item 5), checked by dependency-cruiser:
 * `pnpm run lint:deps`, run by `.ci/run` before the tests.
 *
 * The import graph runs core → adapters → handlers / worker / ocr-mac / infra. Workspace
 * packages (`@receiptflow/*`) are pnpm symlinks that resolve to their folders under packages/, so a
 * cross-package import shows up here as a dependency on `packages/<name>/src/...`
 * (tools/tests/dependency-rule.test.ts plants violations to prove each rule fires).
 *
 * Only product code (`packages/<pkg>/src`) is held to the layering: tests, bench and scripts may use
 * test doubles from other packages and the dev tools in @receiptflow/devkit.
 */

/** Product packages: none of their src may import the dev tools package. */
const PRODUCT = '(core|adapters-[^/]+|handlers|worker|ocr-mac|infra|job-table|console)';
/** A package installed by pnpm: its real path ends in `.pnpm/<id>/node_modules/<name>/…`. */
const npm = (name) => `(^|/)node_modules/${name}/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-only-zod',
      comment:
        'packages/core/src is pure: it may import its own files, zod, libphonenumber-js and date-fns (pure parsing), ' +
        "csv-stringify's sync API (pure RFC 4180 quoting for the export), nothing else (no node: builtins, " +
        'no AWS SDK, no inversify, no other workspace package). Its contract suites under src/testing ' +
        'may also import vitest (an optional peer dependency): see core-testing-imports-only-zod-and-vitest.',
      severity: 'error',
      from: { path: '^packages/core/src/', pathNot: '^packages/core/src/testing/' },
      to: {
        pathNot: ['^packages/core/src/', npm('zod'), npm('libphonenumber-js'), npm('date-fns'), npm('csv-stringify')],
      },
    },
    {
      name: 'core-testing-imports-only-zod-and-vitest',
      comment: "core's contract suites (src/testing) run on vitest; anything else is as for the rest of core.",
      severity: 'error',
      from: { path: '^packages/core/src/testing/' },
      to: {
        pathNot: [
          '^packages/core/src/',
          npm('zod'),
          npm('libphonenumber-js'),
          npm('date-fns'),
          npm('vitest'),
          npm('@vitest/[^/]+'),
        ],
      },
    },
    {
      name: 'no-adapter-imports-another-adapter',
      comment:
        'An adapter package (adapters-local, adapters-aws, …) never imports another one: each depends on core ' +
        '(and the shared job-table key module) only. Tests may, through their devDependencies.',
      severity: 'error',
      from: { path: '^packages/(adapters-[^/]+)/src/' },
      to: { path: '^packages/adapters-[^/]+/', pathNot: '^packages/$1/' },
    },
    {
      name: 'no-product-imports-devkit',
      comment:
        'Bench, emulator helpers, fake servers and dev scripts live in the private @receiptflow/devkit; no product ' +
        "package's src imports it (tests may, as a devDependency). Matched by folder and by name, so the rule " +
        'also holds for an import that does not resolve.',
      severity: 'error',
      from: { path: `^packages/${PRODUCT}/src/` },
      to: { path: ['^packages/devkit/', '^@receiptflow/devkit(/|$)'] },
    },
    {
      name: 'core-and-adapters-do-not-import-runtimes',
      comment:
        'The graph runs core → adapters → handlers/worker: nothing in core, job-table or an adapter package imports ' +
        'handlers, worker, ocr-mac, infra or devkit.',
      severity: 'error',
      from: { path: '^packages/(core|job-table|adapters-[^/]+)/src/' },
      to: { path: '^packages/(handlers|worker|ocr-mac|infra|devkit|console)/' },
    },
    {
      name: 'console-app-imports-only-preact',
      comment:
        "The console's browser code (packages/console/src) reaches the server only through the documented HTTP " +
        'API: it imports its own files and preact, never a workspace package (core and its zod schemas have no ' +
        'place in the browser bundle, and the API is its contract) nor any other library.',
      severity: 'error',
      from: { path: '^packages/console/src/' },
      to: { pathNot: ['^packages/console/src/', npm('preact')] },
    },
    {
      name: 'console-build-imports-only-vite',
      comment: "The console's node side (packages/console/node: its build) uses node builtins and Vite, nothing else.",
      severity: 'error',
      from: { path: '^packages/console/node/' },
      to: { dependencyTypesNot: ['core'], pathNot: ['^packages/console/node/', npm('vite')] },
    },
    {
      name: 'console-only-for-the-local-server',
      comment:
        'Only the local server and the CLI (handlers/src/local, handlers/src/cli) serve the console; core, the ' +
        'adapters and the Lambda code never import it (in AWS the same static build is deployed on its own, ' +
        'docs/deploy.md). Tests and scripts may.',
      severity: 'error',
      from: {
        path: '^packages/[^/]+/src/',
        pathNot: ['^packages/console/', '^packages/handlers/src/(local|cli)/'],
      },
      to: { path: '^packages/console/' },
    },
    {
      name: 'job-table-imports-only-core',
      comment: 'The shared DynamoDB key module depends on core types (and zod) only, so both adapters can use it.',
      severity: 'error',
      from: { path: '^packages/job-table/src/' },
      to: { pathNot: ['^packages/(job-table|core)/src/', npm('zod')] },
    },
    {
      name: 'worker-does-not-import-its-hosts',
      comment:
        'The generic job worker is used by handlers (local runtime) and ocr-mac (the Mac CLI), never the reverse.',
      severity: 'error',
      from: { path: '^packages/worker/src/' },
      to: { path: '^packages/(handlers|ocr-mac|infra)/' },
    },
    {
      name: 'no-circular',
      comment:
        'No import cycles, within or across packages. A cycle closed only by `import type` is allowed: it is ' +
        'erased at compile time, so it cannot change the order modules load in.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'src-not-to-dev-dependency',
      comment:
        "A package's src must not import what its package.json lists only under devDependencies: it would not be " +
        'installed where the package runs.',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      comment:
        'An import that resolves to nothing is a typo or a missing dependency. Checked in src and tests; the ' +
        "bench loads tesseract.js from adapters-local's folder at run time (createRequire), which no static " +
        'resolver can follow.',
      severity: 'error',
      from: { path: '^packages/[^/]+/(src|tests)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)node_modules/', '(^|/)dist/', '^\\.tmp/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    // Modules shown by their real folder (packages/<name>/…), not the pnpm symlink under node_modules.
    preserveSymlinks: false,
    combinedDependencies: false,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
