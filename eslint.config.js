// The one lint configuration of the workspace: `pnpm lint` (CI runs it before the tests).
// Formatting is Prettier's (`pnpm format`); nothing here is about layout.
// Why ESLint + typescript-eslint rather than Biome: docs/development.md#lint-and-format.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/', '**/dist/', '**/coverage/', '.tmp/', '.data/', '**/.data/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      // Each package's tsconfig.json, found per file: the same programs `pnpm typecheck` builds.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its rejection: the step "finishes" while the write fails.
      '@typescript-eslint/no-floating-promises': 'error',
      // An async callback where a void one is expected (forEach, event handlers, setTimeout).
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Unused code. A leading underscore marks a parameter or binding that must exist but is
      // not read (interface shapes, destructuring that drops a key).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // zod as a namespace import: `import { z } from 'zod'` hands esbuild zod's namespace object,
      // which it keeps whole in every Lambda bundle (all of zod, ~190 KB, compiled at init);
      // with `import * as z` it keeps only what is used, about half (docs/benchmarks.md, P5, session 12).
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: "Import zod as `import * as z from 'zod'`: it tree-shakes.",
        },
      ],
      // Tests reference the hand-written types of an untyped package (dynalite) this way.
      '@typescript-eslint/triple-slash-reference': ['error', { path: 'always', types: 'prefer-import', lib: 'always' }],
    },
  },
  {
    // Pulumi's mocks and resource inputs are typed `any` by Pulumi itself; the infra model and its
    // tests read them as such.
    files: ['packages/infra/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Config files outside every package's tsconfig, and plain JS (bins, build script, test
    // fixtures): linted without type information.
    files: ['*.ts', '**/vitest.config.ts', '**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
