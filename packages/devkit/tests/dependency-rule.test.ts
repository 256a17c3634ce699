import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The repo's dependency rule (.dependency-cruiser.cjs, `pnpm run lint:deps`) run by the real
 * dependency-cruiser on a miniature workspace laid out as pnpm lays this one out: packages/<name>
 * with `exports` pointing at src, each package's node_modules/@receiptflow/* a symlink to the
 * sibling folder, zod in the .pnpm store. Planted imports must fail the check, naming the rule
 * and the resolved target; the clean workspace must pass. A miniature, not the real tree: writing
 * planted files into packages/*\/src would race the other test files that read src (core's
 * purity test) and could be left behind by a killed run.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(
  ROOT,
  'node_modules/dependency-cruiser',
  (
    JSON.parse(readFileSync(join(ROOT, 'node_modules/dependency-cruiser/package.json'), 'utf8')) as {
      bin: Record<string, string>;
    }
  ).bin['depcruise']!,
);

const PACKAGES = [
  'core',
  'job-table',
  'adapters-local',
  'adapters-aws',
  'worker',
  'handlers',
  'infra',
  'devkit',
  'console',
];
/** Where a package's `exports` point: the console's is its node side (the build), not its browser app. */
const ENTRY: Record<string, string> = { console: './node/index.ts' };

/** The clean workspace: every import runs the allowed way. */
const CLEAN: Record<string, string> = {
  'packages/core/src/index.ts':
    "export * from './domain.js';\nimport { z } from 'zod';\nexport const Id = z.string();\n",
  'packages/core/src/domain.ts': 'export const domain = 1;\n',
  'packages/core/src/testing/index.ts':
    "import { expect } from 'vitest';\nimport { domain } from '../domain.js';\nexport const check = () => expect(domain).toBe(1);\n",
  'packages/job-table/src/index.ts':
    "import type { domain } from '@receiptflow/core';\nexport type Key = typeof domain;\n",
  'packages/adapters-local/src/index.ts': "import { domain } from '@receiptflow/core';\nexport const local = domain;\n",
  'packages/adapters-aws/src/index.ts':
    "import { domain } from '@receiptflow/core';\nimport type { Key } from '@receiptflow/job-table';\nexport const aws: Key = domain;\n",
  'packages/adapters-aws/tests/uses-local.test.ts':
    "import { local } from '@receiptflow/adapters-local';\nexport const t = local;\n",
  'packages/worker/src/index.ts': "import { domain } from '@receiptflow/core';\nexport const worker = domain;\n",
  'packages/handlers/src/index.ts':
    "import { local } from '@receiptflow/adapters-local';\nimport { aws } from '@receiptflow/adapters-aws';\nimport { worker } from '@receiptflow/worker';\nexport const h = [local, aws, worker];\n",
  'packages/handlers/tests/uses-devkit.test.ts':
    "import { fake } from '@receiptflow/devkit';\nexport const t = fake;\n",
  'packages/infra/src/index.ts': "import { domain } from '@receiptflow/core';\nexport const infra = domain;\n",
  'packages/devkit/src/index.ts': "import { local } from '@receiptflow/adapters-local';\nexport const fake = local;\n",
  'packages/console/src/app.tsx': "import { get } from './api.js';\nexport const app = get;\n",
  'packages/console/src/api.ts': 'export const get = 1;\n',
  'packages/console/node/index.ts': "import { readFileSync } from 'node:fs';\nexport const build = readFileSync;\n",
  'packages/handlers/src/local/site.ts': "import { build } from '@receiptflow/console';\nexport const site = build;\n",
  'packages/console/tests/serve.test.ts': "import { h } from '@receiptflow/handlers';\nexport const t = h;\n",
};

/** Each planted import, and what the check must print for it (a cycle is printed once, whole). */
const PLANTED: { file: string; code: string; expected: string | RegExp | null }[] = [
  {
    file: 'packages/core/src/reads-files.ts',
    code: "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    expected: 'error core-imports-only-zod: packages/core/src/reads-files.ts → fs',
  },
  {
    file: 'packages/core/src/uses-adapter.ts',
    code: "import { local } from '@receiptflow/adapters-local';\nexport const l = local;\n",
    expected: 'error core-imports-only-zod: packages/core/src/uses-adapter.ts → packages/adapters-local/src/index.ts',
  },
  {
    file: 'packages/adapters-aws/src/sideways.ts',
    code: "import { local } from '@receiptflow/adapters-local';\nexport const l = local;\n",
    expected:
      'error no-adapter-imports-another-adapter: packages/adapters-aws/src/sideways.ts → packages/adapters-local/src/index.ts',
  },
  {
    file: 'packages/handlers/src/uses-devkit.ts',
    code: "import { fake } from '@receiptflow/devkit';\nexport const f = fake;\n",
    expected: 'error no-product-imports-devkit: packages/handlers/src/uses-devkit.ts → packages/devkit/src/index.ts',
  },
  {
    // By name too: the rule holds for a subpath that does not resolve (or before devkit exists).
    file: 'packages/worker/src/uses-missing-devkit.ts',
    code: "import { nothing } from '@receiptflow/devkit/not-there';\nexport const n = nothing;\n",
    expected:
      'error no-product-imports-devkit: packages/worker/src/uses-missing-devkit.ts → @receiptflow/devkit/not-there',
  },
  {
    file: 'packages/adapters-local/src/reaches-up.ts',
    code: "import { h } from '@receiptflow/handlers';\nexport const up = h;\n",
    expected:
      'error core-and-adapters-do-not-import-runtimes: packages/adapters-local/src/reaches-up.ts → packages/handlers/src/index.ts',
  },
  {
    file: 'packages/worker/src/hosts.ts',
    code: "import { h } from '@receiptflow/handlers';\nexport const up = h;\n",
    expected: 'error worker-does-not-import-its-hosts: packages/worker/src/hosts.ts → packages/handlers/src/index.ts',
  },
  {
    file: 'packages/console/src/uses-core.ts',
    code: "import { domain } from '@receiptflow/core';\nexport const d = domain;\n",
    expected: 'error console-app-imports-only-preact: packages/console/src/uses-core.ts → packages/core/src/index.ts',
  },
  {
    file: 'packages/console/src/uses-node.ts',
    code: "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    expected: 'error console-app-imports-only-preact: packages/console/src/uses-node.ts → fs',
  },
  {
    file: 'packages/console/node/uses-core.ts',
    code: "import { domain } from '@receiptflow/core';\nexport const d = domain;\n",
    expected: 'error console-build-imports-only-vite: packages/console/node/uses-core.ts → packages/core/src/index.ts',
  },
  {
    file: 'packages/handlers/src/lambda/serves-console.ts',
    code: "import { build } from '@receiptflow/console';\nexport const b = build;\n",
    expected:
      'error console-only-for-the-local-server: packages/handlers/src/lambda/serves-console.ts → packages/console/node/index.ts',
  },
  {
    file: 'packages/handlers/src/cycle-a.ts',
    code: "import { b } from './cycle-b.js';\nexport const a = () => b;\n",
    expected:
      /error no-circular: packages\/handlers\/src\/cycle-a\.ts →\s+packages\/handlers\/src\/cycle-b\.ts →\s+packages\/handlers\/src\/cycle-a\.ts\n/,
  },
  {
    file: 'packages/handlers/src/cycle-b.ts',
    code: "import { a } from './cycle-a.js';\nexport const b = () => a;\n",
    expected: null,
  },
];

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function link(root: string, from: string, to: string): void {
  mkdirSync(dirname(join(root, from)), { recursive: true });
  symlinkSync(relative(dirname(join(root, from)), join(root, to)), join(root, from), 'dir');
}

/** A miniature workspace in a temp dir, laid out as pnpm does. */
function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'dependency-rule-'));
  dirs.push(root);
  cpSync(join(ROOT, 'tsconfig.base.json'), join(root, 'tsconfig.base.json'));
  for (const [path, text] of Object.entries(files)) write(root, path, text);
  for (const name of ['zod', 'vitest']) {
    const store = `node_modules/.pnpm/${name}@1.0.0/node_modules/${name}`;
    write(
      root,
      `${store}/package.json`,
      JSON.stringify({ name, version: '1.0.0', type: 'module', exports: { '.': './index.js' } }),
    );
    write(root, `${store}/index.js`, 'export {};\n');
    write(root, `${store}/index.d.ts`, 'export declare const z: any; export declare const expect: any;\n');
    link(root, `packages/core/node_modules/${name}`, store);
  }
  for (const pkg of PACKAGES) {
    write(
      root,
      `packages/${pkg}/package.json`,
      JSON.stringify({ name: `@receiptflow/${pkg}`, type: 'module', exports: { '.': ENTRY[pkg] ?? './src/index.ts' } }),
    );
    for (const dep of PACKAGES.filter((p) => p !== pkg))
      link(root, `packages/${pkg}/node_modules/@receiptflow/${dep}`, `packages/${dep}`);
  }
  return root;
}

function depcruise(cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DEPCRUISE, 'packages', '--config', CONFIG, '--output-type', 'err'],
      { cwd },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('the dependency rule (.dependency-cruiser.cjs)', () => {
  it('passes a workspace whose imports run core → adapters → handlers/worker', async () => {
    const { code, output } = await depcruise(workspace(CLEAN));
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  });

  it('fails on each planted import, naming the rule and the resolved workspace package', async () => {
    const planted = Object.fromEntries(PLANTED.map((p) => [p.file, p.code]));
    const { code, output } = await depcruise(workspace({ ...CLEAN, ...planted }));
    for (const { expected } of PLANTED) {
      if (typeof expected === 'string') expect(output).toContain(expected);
      else if (expected) expect(output).toMatch(expected);
    }
    expect(output).toContain('x 13 dependency violations (13 errors, 0 warnings)');
    expect(code).not.toBe(0);
  });
});
